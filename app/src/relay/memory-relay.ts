/**
 * In-process stream relay. Only for a single process: the embedded node (it holds every stream
 * itself) or tests whose simulated servers share one MemoryRelayState.
 */
import type { Deliver, RelayOutcome, StreamRelay } from './relay.js';

/** The listening servers of one process, by instance id. */
export class MemoryRelayState {
  readonly servers = new Map<string, Deliver>();
}

export class MemoryRelay implements StreamRelay {
  constructor(private readonly state: MemoryRelayState = new MemoryRelayState()) {}

  async listen(instance: string, deliver: Deliver): Promise<void> {
    this.state.servers.set(instance, deliver);
  }

  async forward(instance: string, stream: string, body: string): Promise<RelayOutcome> {
    const deliver = this.state.servers.get(instance);
    return deliver && deliver(stream, body) ? 'accepted' : 'gone';
  }
}
