/**
 * scripts/docker/replica-name.mjs: the names Docker's DNS gives a container's address, turned into the
 * replica name the ws server takes as its APPID (no Docker needed here; the compose and Swarm tests
 * check the real thing).
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script with no types
import { replicaName } from '../../scripts/docker/replica-name.mjs';

describe('replica-name', () => {
  it('compose v2, v1 and Swarm names give ws-N; anything else gives null', () => {
    expect(replicaName('livechat-ws-3.livechat_default')).toBe('ws-3');
    expect(replicaName('my-project-ws-12.my-project_default.')).toBe('ws-12');
    expect(replicaName('livechat_ws_2.livechat_default')).toBe('ws-2');
    expect(replicaName('livechat_ws.5.k2x4hqz1v0n6c8t9y3w5r7p2m.livechat_default')).toBe('ws-5');
    expect(replicaName('livechat_ws.5.k2x4hqz1v0n6c8t9y3w5r7p2m')).toBe('ws-5');
    expect(replicaName('0cad16da8d65')).toBeNull();
    expect(replicaName('redis.livechat_default')).toBeNull();
  });
});
