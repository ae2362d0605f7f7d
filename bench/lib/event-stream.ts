/**
 * Reading a `text/event-stream` body (what `GET /sse` answers) as it arrives: whole events out, the
 * unfinished tail kept for the next chunk. Events end at a blank line (LF or CRLF line ends); their
 * `data:` lines are joined with "\n", comment lines (`:` — the server's heartbeats) are counted.
 * Shared by the load tool's SSE client (raw-sse-client.ts) and the tests' (test/helpers/sse-client.ts).
 */
export interface StreamEvent {
  /** The event's `data:` lines joined with "\n"; null when it has none (a heartbeat comment). */
  data: string | null;
  /** Comment lines in the event. */
  comments: number;
}

const EVENT_END = /\r?\n\r?\n/;

export class EventStreamReader {
  private text = '';

  /** Adds a chunk of the body; returns the events it completed, in order. */
  push(chunk: string): StreamEvent[] {
    this.text += chunk;
    const out: StreamEvent[] = [];
    for (let m = EVENT_END.exec(this.text); m; m = EVENT_END.exec(this.text)) {
      out.push(parseEvent(this.text.slice(0, m.index)));
      this.text = this.text.slice(m.index + m[0].length);
    }
    return out;
  }
}

function parseEvent(block: string): StreamEvent {
  const data: string[] = [];
  let comments = 0;
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) comments++;
    else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
  }
  return { data: data.length ? data.join('\n') : null, comments };
}
