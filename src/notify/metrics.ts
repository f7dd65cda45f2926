/** The notifiers' `camrelay_mqtt_*` and `camrelay_webhook_*` series on /metrics, read when scraped. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MqttNotifier } from './mqtt.js';
import type { Webhooks } from './webhooks.js';

export function addNotifyMetrics(register: Registry, mqtt: MqttNotifier | undefined, webhooks: Webhooks): void {
  if (mqtt) {
    new Gauge({
      name: 'camrelay_mqtt_connected',
      help: 'Whether camrelay is connected to its MQTT broker (1) or not (0)',
      registers: [register],
      collect(this: Gauge) {
        this.set(mqtt.isConnected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'camrelay_mqtt_queued_messages',
      help: 'MQTT messages waiting for the broker',
      registers: [register],
      collect(this: Gauge) {
        this.set(mqtt.queued);
      },
    });
    new Counter({
      name: 'camrelay_mqtt_messages_total',
      help: 'MQTT messages by result: sent (the broker took them) or dropped (the queue was full, or a publish failed)',
      labelNames: ['result'],
      registers: [register],
      collect(this: Counter) {
        this.reset();
        this.inc({ result: 'sent' }, mqtt.counters.sent);
        this.inc({ result: 'dropped' }, mqtt.counters.dropped);
      },
    });
    new Counter({
      name: 'camrelay_mqtt_reconnects_total',
      help: 'Attempts to connect to the MQTT broker again',
      registers: [register],
      collect(this: Counter) {
        this.reset();
        this.inc(mqtt.counters.reconnects);
      },
    });
  }
  if (webhooks.hooks.length) {
    new Counter({
      name: 'camrelay_webhook_deliveries_total',
      help: 'Webhook deliveries by webhook (its place in the config, from 0) and result: delivered, failed (every try), dropped (its queue was full), retry',
      labelNames: ['webhook', 'result'],
      registers: [register],
      collect(this: Counter) {
        this.reset();
        for (const h of webhooks.hooks) {
          const webhook = String(h.index);
          this.inc({ webhook, result: 'delivered' }, h.counters.delivered);
          this.inc({ webhook, result: 'failed' }, h.counters.failed);
          this.inc({ webhook, result: 'dropped' }, h.counters.dropped);
          this.inc({ webhook, result: 'retry' }, h.counters.retries);
        }
      },
    });
  }
}
