/**
 * Telling the world about events (README.md here): an MQTT broker, with Home Assistant discovery
 * (mqtt.ts, discovery.ts), and webhooks (webhooks.ts). Both listen to the events' feed and never
 * hold it up.
 */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Events } from '../events/index.js';
import type { MqttConfig, WebhookConfig } from './config.js';
import { addNotifyMetrics } from './metrics.js';
import { MqttNotifier, type MqttNotifierOptions } from './mqtt.js';
import { Webhooks, type WebhookOptions } from './webhooks.js';

export {
  mqttSchema,
  settleMqtt,
  settleWebhooks,
  webhooksSchema,
  type MqttConfig,
  type WebhookConfig,
} from './config.js';
export { discoveryMessages, objectId } from './discovery.js';
export { MqttNotifier } from './mqtt.js';
export { signature, SIGNATURE_HEADER, Webhooks } from './webhooks.js';

export interface NotifierOptions {
  mqtt?: MqttConfig | undefined;
  webhooks: readonly WebhookConfig[];
  events: Events;
  /** A camera's name for Home Assistant (its id when it has none). */
  cameraName(id: string): string;
  log: Logger;
  version: string;
  /** Tuning for tests. */
  mqttOptions?: Partial<MqttNotifierOptions>;
  webhookOptions?: Partial<WebhookOptions>;
}

export class Notifiers {
  readonly mqtt: MqttNotifier | undefined;
  readonly webhooks: Webhooks;
  private readonly stop: () => void;

  constructor(options: NotifierOptions) {
    const { events, log, version } = options;
    const describe = (id: string) => ({ id, name: options.cameraName(id) });
    this.mqtt = options.mqtt
      ? new MqttNotifier(options.mqtt, {
          log,
          version,
          cameras: () => events.cameraStates().map((c) => ({ ...describe(c.id), motion: c.motion })),
          ...options.mqttOptions,
        })
      : undefined;
    this.webhooks = new Webhooks(options.webhooks, { log, version, ...options.webhookOptions });
    this.stop = events.feed.listen((notice) => {
      const json = events.json(notice.event);
      this.mqtt?.notice(notice, json, describe(notice.event.camera));
      this.webhooks.notice(notice, json);
    });
    this.mqtt?.start();
  }

  addMetrics(register: Registry): void {
    addNotifyMetrics(register, this.mqtt, this.webhooks);
  }

  async close(): Promise<void> {
    this.stop();
    this.webhooks.close();
    await this.mqtt?.close();
  }
}
