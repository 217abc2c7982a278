export { loadConfig, ConfigSchema, EnvSchema, EnvironmentSchema, ConfigError, type ProviderConfig, type Environment } from './config.js';
export { startProvider, type RunningProvider } from './start.js';
export { createProviderApp, type ProviderAppDeps, type ProviderServices } from './http/app.js';
export { createServices, type ServicesParameters } from './services.js';
export { buildOpenApi } from './http/openapi.js';
export { ProviderError, isProviderError, ERROR_STATUS, type ProviderErrorCode } from './errors.js';
export {
  providerDomain,
  algorithmCodeHash,
  COMPUTE_REQUEST_TYPES,
  DOWNLOAD_REQUEST_TYPES,
  JOB_ACCESS_TYPES,
  PIN_REQUEST_TYPES,
  type ComputeRequestMessage,
  type DownloadRequestMessage,
  type DatasetOrderMessage,
  type JobAccessMessage,
  type JobAction,
  type PinRequestMessage,
} from '@cove/sdk';
export { openDatabase } from './db/database.js';
export { MIGRATIONS, migrate, schemaVersion } from './db/migrations.js';
export { createStore, TERMINAL_STATUSES, ACTIVE_STATUSES, type Store, type JobRecord, type JobStatus } from './db/store.js';
export { createJobWorker, type JobWorker, type ReconcileReport } from './usecases/jobWorker.js';
export type { ChainPort, CryptoPort, DocumentsPort, EnginePort, StoragePort, AssetView, JobReceipt, EngineJobSpec, EngineOutcome } from './ports.js';
export { startDevnet, type Devnet, type StartDevnetParameters } from './devnet.js';
