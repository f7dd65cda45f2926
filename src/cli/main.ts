/** The `camrelay` command. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { runServer } from '../server/run.js';
import { devicesCommand } from './devices.js';
import { hashPasswordCommand } from './hash-password.js';
import { hashTokenCommand } from './hash-token.js';
import { publishCommand } from './publish.js';
import { VERSION } from '../version.js';
import { checkCommand } from './check.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function port(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return Number(value);
}

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n <= 0 || n > 3600) {
    throw new InvalidArgumentError('expected seconds, more than 0 and at most 3600');
  }
  return n;
}

// `camrelay check | head -3`: once the reader is gone the rest of the output has nowhere to go;
// end quietly, with the status so far, rather than with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

const program = new Command('camrelay')
  .description('Read each camera once; deliver its live video to any number of browsers.')
  .version(VERSION, '-V, --version', 'print the version')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('serve')
  .description('serve the configured cameras over HTTP')
  .option('--host <host>', 'address to bind (default 127.0.0.1; 0.0.0.0 for every network)')
  .option('--port <port>', 'port to listen on (default 8080)', port)
  .option('--rtsp-port <port>', 'also serve every camera over RTSP on this port (rtsp://host:PORT/<camera>)', port)
  .option('--config <file>', 'YAML config file')
  .option(
    '--camera <ID=SOURCE>',
    'add a camera (repeatable): testsrc, /dev/video0, rtsp://…, http://…, file:PATH',
    collect,
  )
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
  .option('--allow-origin <origin>', 'let pages of this origin use the API and WebSockets (repeatable)', collect)
  .option('--allow-anonymous', 'serve a non-loopback address without any credentials (trusted networks only)')
  .option(
    '--publish-to <url>',
    'also publish the cameras to a hub, e.g. wss://hub.example.net:8443 (with --name, --token); several, comma-separated: hubs of a cluster, tried in turn',
  )
  .option('--name <edge>', 'the edge name to publish as')
  .option('--token <token>', 'the publish token (or CAMRELAY_PUBLISH_TOKEN)')
  .option('--ca <file>', "a CA certificate (PEM) to trust for the hub, besides the system's")
  .option('--publish-codec <codec>', 'what the uplink carries: auto (H.264 when the hub accepts it), h264 or jpeg')
  .option(
    '--publisher <EDGE=TOKEN>',
    "accept cameras published by the edge EDGE with TOKEN, the token itself (its hash goes in a config's publishers) (repeatable)",
    collect,
  )
  .action(
    async (options: {
      host?: string;
      port?: number;
      rtspPort?: number;
      config?: string;
      camera?: string[];
      logLevel?: string;
      allowOrigin?: string[];
      allowAnonymous?: boolean;
      publishTo?: string;
      name?: string;
      token?: string;
      ca?: string;
      publishCodec?: string;
      publisher?: string[];
    }) => {
      try {
        const config = await loadConfig({
          ...options,
          cameras: options.camera,
          allowOrigins: options.allowOrigin,
          publishers: options.publisher,
          envToken: process.env.CAMRELAY_PUBLISH_TOKEN,
        });
        await runServer(config);
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`camrelay: ${err.message}\n`);
          process.exit(err.exitCode);
        }
        process.stderr.write(`camrelay: ${(err as Error).message}\n`);
        process.exit(1);
      }
    },
  );

program
  .command('check')
  .description('validate the config, then probe each camera once: exits non-zero with a line per problem')
  .option('--config <file>', 'YAML config file')
  .option('--camera <ID=SOURCE>', 'add a camera (repeatable), as for serve', collect)
  .option('--timeout <seconds>', 'how long each camera has to give its first frame (default 10)', seconds)
  .action(checkCommand);

program
  .command('hash-password')
  .description('print a password hash for a user in the config file (reads the password from standard input)')
  .action(hashPasswordCommand);

program
  .command('publish')
  .description("publish this machine's cameras to a hub over one outbound connection (works from behind NAT)")
  .option('--hub <url>', 'the hub, e.g. wss://hub.example.net:8443 (several, comma-separated: tried in turn)')
  .option('--name <edge>', 'the edge name to publish as')
  .option('--token <token>', 'the publish token (or CAMRELAY_PUBLISH_TOKEN)')
  .option('--ca <file>', "a CA certificate (PEM) to trust for the hub, besides the system's")
  .option('--publish-codec <codec>', 'what the uplink carries: auto (H.264 when the hub accepts it), h264 or jpeg')
  // The earlier spelling, kept working; serve has --publish-codec, so both commands share that one.
  .addOption(new Option('--codec <codec>', 'same as --publish-codec').hideHelp())
  .option('--config <file>', 'YAML config file (cameras, camera_defaults, publish)')
  .option('--camera <ID=SOURCE>', 'add a camera (repeatable), as for serve', collect)
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
  .action(publishCommand);

program
  .command('hash-token')
  .description('print a new random token and its hash, or the hash of TOKEN (- reads it from standard input)')
  .argument('[token]')
  .action(hashTokenCommand);

program
  .command('devices')
  .description('list V4L2 cameras (/dev/video*) with their formats, sizes and frame rates')
  .option('--json', 'print JSON')
  .action(devicesCommand);

await program.parseAsync(process.argv);
