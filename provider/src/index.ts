export { startProvider, type RunningProvider } from './start.js';
export { loadConfig, ConfigError, type ProviderConfig } from './config.js';
export { startDevnet, type Devnet, type StartDevnetParameters } from './devnet.js';
