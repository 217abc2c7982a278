export { startAnvil, ANVIL_DEFAULT_KEYS, type Anvil, type AnvilParameters } from './devnet/anvil.js';
export { CoveError, isCoveError } from './errors.js';
