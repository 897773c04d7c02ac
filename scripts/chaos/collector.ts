/** An OTLP/HTTP trace sink: keeps every exported body so the secrets row can search the traces. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { appendFileSync } from 'node:fs';

export class TraceCollector {
  private readonly bodies: Buffer[] = [];
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<TraceCollector> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const collector = new TraceCollector(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const gzipped = req.headers['content-encoding'] === 'gzip';
        collector.bodies.push(gzipped ? gunzipSync(body) : body);
        if (process.env.CHAOS_DUMP_TRACES) appendFileSync(process.env.CHAOS_DUMP_TRACES, body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    return collector;
  }

  get exports(): number {
    return this.bodies.length;
  }

  get bytes(): number {
    return this.bodies.reduce((n, b) => n + b.length, 0);
  }

  contains(needle: string): boolean {
    const bytes = Buffer.from(needle, 'utf8');
    return this.bodies.some((b) => b.includes(bytes));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
