/**
 * The benchmark's big-room point as load-tool options: one room of N members joined at a steady
 * rate from enough loopback source addresses, then a short message phase. For this cluster the
 * probe runs too (with each server's own URL, so every server is asked for the count); raw ws behind
 * HAProxy (the floor) and Socket.IO's comparison server have no presence, so they get the same load
 * without the probe.
 */
import type { LoadOptions } from './load.js';

/** Joins per second while the room fills (8000 members: a 10 s ramp). */
export const BIG_ROOM_JOIN_RATE = 800;
/** Members per loopback source address (8000: 40 addresses; the protocol allows 1000 per address). */
export const BIG_ROOM_PER_ADDRESS = 200;

export interface BigRoomPlan { clients: number; rate: number; senders: number; duration: number; warmup: number }

export type BigRoomLoad = Partial<Omit<LoadOptions, 'onProgress' | 'url'>> & Pick<LoadOptions, 'clients'>;

export function bigRoomLoad(b: BigRoomPlan, clients: number, sys: { kind: string; wire: 'livechat' | 'socketio'; serverUrls: string[] }): BigRoomLoad {
  // The probe checks presence: this cluster only (raw ws and Socket.IO's comparison servers have none).
  const probe = sys.kind === 'cluster';
  return {
    clients, rooms: 1, senders: b.senders, rate: b.rate, duration: b.duration, warmup: b.warmup,
    ramp: Math.round((clients / BIG_ROOM_JOIN_RATE) * 10) / 10,
    localIps: Math.min(250, Math.max(1, Math.ceil(clients / BIG_ROOM_PER_ADDRESS))),
    connectTimeout: 30, settle: 2,
    probe, probeUrls: probe ? sys.serverUrls : [],
  };
}
