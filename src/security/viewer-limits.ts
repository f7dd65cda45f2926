/**
 * Live viewers per camera, in all, and per credential: beyond the first two a
 * new viewer gets 503; beyond its credential's share, 429, so that one
 * credential (a share link, say) cannot take every place from the others.
 */
export class ViewerLimits {
  private readonly perCamera = new Map<string, number>();
  private readonly perCredential = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxPerCamera: number,
    private readonly maxTotal: number,
    private readonly maxPerCredential = Infinity,
  ) {}

  /**
   * Counts a viewer in; returns the function that counts it out (safe to call twice), undefined
   * when the camera or the server is full, or 'credential' when the credential has its share.
   */
  admit(camera: string, credential?: string): (() => void) | undefined | 'credential' {
    const current = this.perCamera.get(camera) ?? 0;
    const mine = credential === undefined ? 0 : (this.perCredential.get(credential) ?? 0);
    if (credential !== undefined && mine >= this.maxPerCredential) return 'credential';
    if (current >= this.maxPerCamera || this.total >= this.maxTotal) return undefined;
    this.perCamera.set(camera, current + 1);
    if (credential !== undefined) this.perCredential.set(credential, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      countOut(this.perCamera, camera);
      if (credential !== undefined) countOut(this.perCredential, credential);
    };
  }
}

function countOut(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
