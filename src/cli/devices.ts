/** `camrelay devices`: the V4L2 cameras on this machine and what they can capture. */
import { describeDevice, listVideoDevices, type V4l2Device } from '../sources/devices/v4l2.js';

export function formatDevices(devices: V4l2Device[]): string {
  if (devices.length === 0)
    return 'No V4L2 cameras found (nothing at /dev/video*). Plug in a USB camera, or use --camera ID=testsrc.\n';
  const out: string[] = [];
  for (const d of devices) {
    out.push(`${d.path}  ${d.name}`);
    if (d.error) out.push(`  cannot query: ${d.error}`);
    else if (d.formats.length === 0) out.push('  no capture formats (a metadata node, not a camera)');
    for (const f of d.formats) {
      out.push(`  ${f.format} (${f.description})`);
      for (const s of f.sizes)
        out.push(`    ${s.width}x${s.height}${s.fps.length ? ` @ ${s.fps.join(', ')} fps` : ''}`);
    }
    if (d.formats.length)
      out.push(
        `  use: --camera cam=v4l2:${d.path}${d.formats.some((f) => f.format === 'mjpeg') ? '?format=mjpeg' : ''}`,
      );
  }
  return out.join('\n') + '\n';
}

export async function devicesCommand(options: { json?: boolean; dir?: string }): Promise<void> {
  const paths = await listVideoDevices(options.dir);
  const devices = await Promise.all(paths.map((p) => describeDevice(p)));
  process.stdout.write(options.json ? JSON.stringify({ devices }, null, 2) + '\n' : formatDevices(devices));
}
