/**
 * The Jepsen-style verdict of a run, as a pure function (unit-tested in test/unit/history-checker.test.ts):
 * given the room's final history, every ack the clients got, and what each client saw, list every
 * violation of the guarantees:
 *  - ids in history are 1..N with no hole and no repeat (contiguous);
 *  - every acked cid is in history exactly once, at the id its ack named (acked lost = 0);
 *  - no cid is in history twice (duplicates = 0);
 *  - each client's view — the (id, cid) pairs it received, in order, from where it started — is a
 *    prefix of the final order from that point: nothing skipped, nothing reordered, nothing that
 *    history does not hold.
 */

export interface Entry { id: number; cid: string | undefined }

export interface ClientView {
  name: string;
  /** Ids received in arrival order (after the client's first join). */
  ids: number[];
  /** The cid received at each id. */
  cidAt: ReadonlyMap<number, string>;
}

export interface Verdict {
  problems: string[];
  messages: number;
  acked: number;
  ackedLost: number;
  duplicates: number;
}

export function checkHistory(history: Entry[], acks: ReadonlyMap<string, number>, views: ClientView[]): Verdict {
  const problems: string[] = [];
  const say = (p: string) => { if (problems.length < 50) problems.push(p); };

  history.forEach((e, i) => { if (e.id !== i + 1) say(`history: id ${e.id} at position ${i + 1} (ids not contiguous from 1)`); });
  const byId = new Map(history.map((e) => [e.id, e]));
  const cidIds = new Map<string, number[]>();
  for (const e of history) if (e.cid !== undefined) cidIds.set(e.cid, [...(cidIds.get(e.cid) ?? []), e.id]);

  let duplicates = 0;
  for (const [cid, ids] of cidIds) {
    if (ids.length > 1) {
      duplicates += ids.length - 1;
      say(`duplicate: cid ${cid} stored at ids ${ids.join(', ')}`);
    }
  }
  let ackedLost = 0;
  for (const [cid, id] of acks) {
    const at = cidIds.get(cid);
    if (!at) {
      ackedLost++;
      say(`acked lost: cid ${cid} acked as id ${id}, not in history`);
    } else if (!at.includes(id)) say(`acked ${cid} as id ${id}, but history holds it at ${at.join(', ')}`);
  }

  for (const v of views) {
    if (v.ids.length === 0) continue;
    const start = v.ids[0];
    for (let k = 0; k < v.ids.length; k++) {
      const id = v.ids[k];
      const want = byId.get(start + k);
      if (id !== start + k) {
        say(`${v.name}: saw id ${id} where the final order has ${start + k} (skipped or reordered)`);
        break;
      }
      if (!want) {
        say(`${v.name}: saw id ${id}, which history does not hold`);
        break;
      }
      const cid = v.cidAt.get(id);
      if (cid !== undefined && want.cid !== undefined && cid !== want.cid) {
        say(`${v.name}: saw cid ${cid} at id ${id}, history has ${want.cid} there`);
        break;
      }
    }
  }
  return { problems, messages: history.length, acked: acks.size, ackedLost, duplicates };
}
