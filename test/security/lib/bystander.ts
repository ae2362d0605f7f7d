/**
 * Two well-behaved clients in one room on the server under attack. After each hostile case the
 * test calls `stillChats()`: a message from one must reach the other, proving the server kept
 * serving everyone else.
 */
import { v4 as uuidv4 } from 'uuid';
import { TestClient } from '../../helpers/ws-client.js';

export interface Bystanders {
  stillChats(): Promise<void>;
  close(): void;
}

export async function bystanders(url: string, room = 'lobby'): Promise<Bystanders> {
  const a = await TestClient.connect(url);
  const b = await TestClient.connect(url);
  await a.hello('Alice');
  await b.hello('Bob');
  await a.request({ type: 'join', room }, 'joined');
  await b.request({ type: 'join', room }, 'joined');
  return {
    async stillChats() {
      if (a.closeCode !== null || b.closeCode !== null) throw new Error(`a bystander was closed: ${a.closeCode} ${b.closeCode}`);
      const cid = uuidv4();
      const ack = await a.request({ type: 'send', room, text: 'still here', cid }, 'ack');
      if (ack.type !== 'ack') throw new Error(`bystander send failed: ${JSON.stringify(ack)}`);
      await b.next((f) => f.type === 'message' && f.cid === cid, 5000);
    },
    close() {
      a.terminate();
      b.terminate();
    },
  };
}
