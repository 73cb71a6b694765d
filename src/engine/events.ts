// The event bus: every lifecycle step is published here, kept in a bounded
// ring for `since` queries, and streamed to `/events` subscribers.
import { EventEmitter } from 'node:events';

export interface EngineEvent {
  Type: string; // container, image, network, volume, daemon, builder
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number; // seconds
  timeNano: number;
}

const RING = 1024;

export class EventBus {
  private readonly ring: EngineEvent[] = [];
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(type: string, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const ev: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    this.ring.push(ev);
    if (this.ring.length > RING) this.ring.shift();
    this.emitter.emit('event', ev);
    return ev;
  }

  /** Events already recorded, oldest first. */
  history(): readonly EngineEvent[] {
    return this.ring;
  }

  subscribe(fn: (ev: EngineEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }
}
