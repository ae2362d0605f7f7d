/** The benchmark's two plans (quick and full): loads, durations and repeats of each point. */
import type { BigRoomPlan } from './big-room.js';

export interface Plan {
  name: 'quick' | 'full';
  /** The two headline loads: unsaturated and near saturation. */
  points: Array<{ clients: number; rate: number; senders: number }>;
  duration: number;
  /** Runs of each headline point; the table shows the median of each figure (single runs on a shared 2-core box vary by ±15 %). */
  repeats: number;
  knee: { clients: number; senders: number; rates: number[]; duration: number };
  memory: number[];
  storm: number;
  scaling: { servers: number[]; clients: number; rate: number; senders: number; duration: number };
  /** One room of `clients` members (0: skipped), joined at BIG_ROOM_JOIN_RATE per second after a `warmup`; then `senders` send `rate` msg/s for `duration` s. */
  bigRoom: BigRoomPlan;
}

export const PLANS: Record<'quick' | 'full', Plan> = {
  quick: {
    name: 'quick',
    points: [{ clients: 200, rate: 40, senders: 10 }, { clients: 400, rate: 100, senders: 20 }],
    duration: 5,
    repeats: 1,
    knee: { clients: 400, senders: 20, rates: [25, 50, 100], duration: 4 },
    memory: [1000],
    storm: 500,
    scaling: { servers: [1, 2, 4], clients: 200, rate: 40, senders: 10, duration: 4 },
    bigRoom: { clients: 2000, rate: 10, senders: 10, duration: 5, warmup: 3 },
  },
  full: {
    name: 'full',
    points: [{ clients: 500, rate: 40, senders: 20 }, { clients: 1000, rate: 100, senders: 20 }],
    duration: 15,
    repeats: 3,
    knee: { clients: 1000, senders: 40, rates: [50, 100, 150, 200, 250, 300, 400, 500], duration: 8 },
    memory: [1000, 5000, 10_000],
    storm: 2000,
    scaling: { servers: [1, 2, 4, 8], clients: 500, rate: 40, senders: 20, duration: 10 },
    bigRoom: { clients: 8000, rate: 10, senders: 10, duration: 10, warmup: 3 },
  },
};
