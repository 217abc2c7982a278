import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { encodeKey } from '../../crypto/keys.js';
import { CoveError } from '../../errors.js';
import { identityFiles, loadIdentity } from '../../identity.js';
import { userIdentity } from '../context.js';
import { printResult } from '../output.js';
import type { Run } from '../run.js';

export function registerKeys(program: Command, run: Run): void {
  const keys = program
    .command('keys')
    .description('manage your keys (an EVM account and an X25519 key pair)')
    .addHelpText('after', '\nExamples:\n  cove keys new\n  cove keys show\n\nTo set up a whole home (keys and network) at once: cove init <file|url>');
  keys
    .command('new')
    .description('create your keys in the Cove home directory (files readable by you only)')
    .addHelpText('after', '\nExample:\n  COVE_HOME=~/.cove-buyer cove keys new')
    .action(
      run(async (opts) => {
        const files = identityFiles(opts.home);
        const exists = await stat(files.keyFile).then(
          () => true,
          () => false,
        );
        if (exists) throw new CoveError('KEYS_EXIST', `keys already exist in ${opts.home}; remove them first to start over`);
        const id = await loadIdentity({ ...files, create: true });
        const data = { address: id.address, x25519PublicKey: encodeKey(id.x25519.publicKey), home: opts.home };
        printResult(opts, data, () => [`address          ${data.address}`, `x25519 key       ${data.x25519PublicKey}`, `stored in        ${opts.home}`]);
      }),
    );
  keys
    .command('show')
    .description('print your address and X25519 public key')
    .addHelpText('after', '\nExample:\n  cove keys show --get address')
    .action(
      run(async (opts) => {
        const id = await userIdentity(opts);
        const data = { address: id.address, x25519PublicKey: encodeKey(id.x25519.publicKey) };
        printResult(opts, data, () => [`address          ${data.address}`, `x25519 key       ${data.x25519PublicKey}`]);
      }),
    );
}
