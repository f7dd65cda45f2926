/** Live viewers per camera and in all: beyond the limits a new viewer gets 503. */
export class ViewerLimits {
  private readonly perCamera = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxPerCamera: number,
    private readonly maxTotal: number,
  ) {}

  /** Counts a viewer in; returns the function that counts it out (safe to call twice), or undefined when full. */
  admit(camera: string): (() => void) | undefined {
    const current = this.perCamera.get(camera) ?? 0;
    if (current >= this.maxPerCamera || this.total >= this.maxTotal) return undefined;
    this.perCamera.set(camera, current + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perCamera.get(camera) ?? 1) - 1;
      if (left > 0) this.perCamera.set(camera, left);
      else this.perCamera.delete(camera);
    };
  }
}
