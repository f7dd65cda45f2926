/**
 * Home Assistant's MQTT discovery: per camera, a motion binary sensor and a camera entity showing
 * the last event's snapshot, both on one device per camera, and available while camrelay is
 * connected (its `available` topic, the last will). Discovery topics' node and object ids allow
 * `A-Z a-z 0-9 _ -` only: a relayed camera's `edge.camera` becomes `edge_camera` there (its own
 * topics keep the id).
 */
import type { MqttConfig } from './config.js';

export interface DiscoveredCamera {
  id: string;
  name: string;
}

export interface Retained {
  topic: string;
  payload: string;
}

export function objectId(camera: string): string {
  return camera.replace(/[^A-Za-z0-9_-]/g, '_');
}

export function motionTopic(config: MqttConfig, camera: string): string {
  return `${config.topicPrefix}/${camera}/motion`;
}

export function snapshotTopic(config: MqttConfig, camera: string): string {
  return `${config.topicPrefix}/${camera}/snapshot`;
}

export function availabilityTopic(config: MqttConfig): string {
  return `${config.topicPrefix}/available`;
}

/** The retained config messages that announce the camera to Home Assistant. */
export function discoveryMessages(config: MqttConfig, camera: DiscoveredCamera, version: string): Retained[] {
  const p = config.topicPrefix;
  const object = objectId(camera.id);
  const device = {
    identifiers: [`${p}_${object}`],
    name: camera.name,
    manufacturer: 'camrelay',
    model: 'camera',
    sw_version: version,
  };
  const availability = {
    availability_topic: availabilityTopic(config),
    payload_available: 'online',
    payload_not_available: 'offline',
  };
  const sensor = {
    name: 'Motion',
    unique_id: `${p}_${object}_motion`,
    object_id: `${p}_${object}_motion`,
    device_class: 'motion',
    state_topic: motionTopic(config, camera.id),
    payload_on: 'ON',
    payload_off: 'OFF',
    ...availability,
    device,
  };
  const snapshot = {
    name: 'Last event',
    unique_id: `${p}_${object}_snapshot`,
    object_id: `${p}_${object}_snapshot`,
    topic: snapshotTopic(config, camera.id),
    ...availability,
    device,
  };
  const d = config.discoveryPrefix;
  return [
    { topic: `${d}/binary_sensor/${p}/${object}_motion/config`, payload: JSON.stringify(sensor) },
    { topic: `${d}/camera/${p}/${object}_snapshot/config`, payload: JSON.stringify(snapshot) },
  ];
}
