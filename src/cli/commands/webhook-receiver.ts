/** `flora-temporal webhook-receiver`: FLORA's signed callbacks → workflow signals, beside the workers. */
import type { Command } from 'commander';
import type * as Connection from '../../client/connection';
import type * as Config from '../../webhooks/config';
import type * as Receiver from '../../webhooks/receiver';
import type { CliContext } from '../support';

export function registerWebhookReceiver(program: Command, { io }: CliContext): void {
  program
    .command('webhook-receiver')
    .description(
      'receive FLORA webhooks (FLORA_WEBHOOK_SECRET, FLORA_WEBHOOK_PORT, _HOST, _PATH) and wake the workflows they name, until SIGINT or SIGTERM',
    )
    .action(async () => {
      const { webhookSettingsFromEnv } = require('../../webhooks/config') as typeof Config;
      const { startWebhookReceiver } = require('../../webhooks/receiver') as typeof Receiver;
      const { connectFromEnv } = require('../../client/connection') as typeof Connection;
      const settings = webhookSettingsFromEnv(process.env, { required: true });
      if (settings === undefined) return;
      const temporal = await connectFromEnv();
      try {
        const receiver = await startWebhookReceiver({
          ...settings,
          client: temporal.client,
          log: (line, attrs) => io.stderr(`${line} ${JSON.stringify(attrs)}\n`),
        });
        io.stderr(`FLORA webhook receiver on http://${settings.host}:${receiver.port}${settings.path}\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await receiver.close();
      } finally {
        await temporal.close();
      }
    });
}
