/** The notifiers' config keys: `mqtt:` (a broker to tell, Home Assistant discovery) and `webhooks:`. */
import { z } from 'zod';
import { SERVED_CAMERA_ID } from '../camera-id.js';
import type { EventChange } from '../events/index.js';

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const NAME_RULE = 'expected 1-64 characters of A-Z a-z 0-9 _ -';

function urlOf(protocols: string[], rule: string) {
  return z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, rule);
}

export const mqttSchema = z.strictObject({
  url: urlOf(
    ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'],
    'expected a broker URL like mqtt://broker:1883 (mqtt, mqtts, ws, wss)',
  ),
  username: z.string().min(1).max(256).optional(),
  password: z.string().max(1024).optional(),
  topic_prefix: z.string().regex(NAME, NAME_RULE).default('camrelay'),
  discovery: z.boolean().default(true),
  discovery_prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}(\/[A-Za-z0-9_-]{1,64})*$/, 'expected a topic like homeassistant')
    .default('homeassistant'),
  client_id: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 _ . -')
    .optional(),
});

const CHANGES = ['start', 'update', 'end'] as const;

export const webhookSchema = z.strictObject({
  url: urlOf(['http:', 'https:'], 'expected an http:// or https:// URL'),
  events: z
    .array(z.enum(CHANGES, { error: 'expected start, update or end' }))
    .min(1)
    .default(['start', 'end']),
  cameras: z.array(z.string().regex(SERVED_CAMERA_ID, 'expected a camera id')).max(256).optional(),
  secret: z.string().min(16, 'expected a secret of at least 16 characters').max(1024).optional(),
  timeout: z
    .number({ error: 'expected seconds, more than 0 and at most 60' })
    .positive('expected seconds, more than 0 and at most 60')
    .max(60, 'expected seconds, more than 0 and at most 60')
    .default(5),
});

export const webhooksSchema = z.array(webhookSchema).max(16, 'at most 16 webhooks').default([]);

export interface MqttConfig {
  url: string;
  username?: string;
  password?: string;
  topicPrefix: string;
  discovery: boolean;
  discoveryPrefix: string;
  clientId?: string;
}

export interface WebhookConfig {
  url: string;
  events: EventChange[];
  /** Only these cameras' events; undefined: every camera. */
  cameras?: string[];
  secret?: string;
  timeoutMs: number;
}

export function settleMqtt(options: z.infer<typeof mqttSchema> | undefined): MqttConfig | undefined {
  if (!options) return undefined;
  return {
    url: options.url,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    topicPrefix: options.topic_prefix,
    discovery: options.discovery,
    discoveryPrefix: options.discovery_prefix,
    ...(options.client_id !== undefined ? { clientId: options.client_id } : {}),
  };
}

export function settleWebhooks(options: z.infer<typeof webhooksSchema> | undefined): WebhookConfig[] {
  return (options ?? []).map((w) => ({
    url: w.url,
    events: [...new Set(w.events)],
    ...(w.cameras ? { cameras: w.cameras } : {}),
    ...(w.secret !== undefined ? { secret: w.secret } : {}),
    timeoutMs: w.timeout * 1000,
  }));
}
