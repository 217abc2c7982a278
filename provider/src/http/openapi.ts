import { z } from 'zod';
import { ERROR_STATUS } from '../errors.js';
import * as S from './schemas.js';

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } } });
const errors = { '4XX': { description: 'A stable error code (see x-error-codes)', ...json(S.ErrorBody) }, '5XX': { description: 'INTERNAL or UNAVAILABLE', ...json(S.ErrorBody) } };
const jobParams = [
  { name: 'jobId', in: 'path', required: true, schema: z.toJSONSchema(S.Bytes32) },
  { name: 'x-cove-expiry', in: 'header', required: true, description: 'JobAccess expiry, unix seconds', schema: { type: 'integer' } },
  { name: 'x-cove-signature', in: 'header', required: true, description: 'EIP-712 JobAccess signature by the job consumer', schema: { type: 'string' } },
];

/**
 * The OpenAPI 3.1 document of the API, generated from the same zod schemas the routes
 * validate with, so the two cannot drift apart.
 */
export function buildOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Cove Provider', version: '1' },
    'x-error-codes': ERROR_STATUS,
    paths: {
      '/v1/health': { get: { summary: 'The chain, IPFS and Docker, each probed, and queue depth', responses: { 200: { description: 'every dependency ok', ...json(S.HealthResponse) }, 503: { description: 'a dependency is down (see dependencies)', ...json(S.HealthResponse) } } } },
      '/v1/info': { get: { summary: 'Provider identity, contracts, environments, limits', responses: { 200: { description: 'ok', ...json(S.InfoResponse) } } } },
      '/ipfs/{cid}': {
        get: {
          summary: 'One block stored here, raw (trustless-gateway convention: Accept: application/vnd.ipld.raw or ?format=raw); never fetched from the network',
          parameters: [
            { name: 'cid', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['raw'] } },
          ],
          responses: { 200: { description: 'the block', content: { 'application/vnd.ipld.raw': { schema: { type: 'string', format: 'binary' } } } }, ...errors },
        },
      },
      '/v1/nonce/{address}': {
        get: {
          summary: 'Last nonce accepted from an address (the next request must use a greater one)',
          parameters: [{ name: 'address', in: 'path', required: true, schema: z.toJSONSchema(S.Address) }],
          responses: { 200: { description: 'ok', ...json(S.NonceResponse) }, ...errors },
        },
      },
      '/v1/compute': {
        post: {
          summary: 'Start a compute job (EIP-712 ComputeRequest signed by the consumer)',
          requestBody: { required: true, ...json(S.ComputeBody) },
          responses: { 202: { description: 'accepted', ...json(S.StartComputeResponse) }, ...errors },
        },
      },
      '/v1/compute/{jobId}': {
        get: { summary: 'Job status with transitions and receipt', parameters: jobParams, responses: { 200: { description: 'ok', ...json(S.JobStatusResponse) }, ...errors } },
        delete: { summary: 'Stop a job (JobAccess action "stop")', parameters: jobParams, responses: { 200: { description: 'ok', ...json(S.StopResponse) }, ...errors } },
      },
      '/v1/compute/{jobId}/logs': { get: { summary: 'Logs as the output policy releases them', parameters: jobParams, responses: { 200: { description: 'ok', ...json(S.JobLogsResponse) }, ...errors } } },
      '/v1/compute/{jobId}/result': {
        get: { summary: 'Manifest, encrypted result CID, key sealed to the consumer, receipt', parameters: jobParams, responses: { 200: { description: 'ok', ...json(S.JobResultResponse) }, ...errors } },
      },
      '/v1/review/list': {
        post: { summary: "An asset owner's jobs awaiting release (EIP-712 ReviewRequest, action list)", requestBody: { required: true, ...json(S.ReviewBody) }, responses: { 200: { description: 'ok', ...json(S.PendingReleasesResponse) }, ...errors } },
      },
      '/v1/review/inspect': {
        post: { summary: 'Held outputs encrypted to the owner (action inspect)', requestBody: { required: true, ...json(S.ReviewBody) }, responses: { 200: { description: 'ok', ...json(S.InspectResponse) }, ...errors } },
      },
      '/v1/review/release': {
        post: { summary: 'Release held outputs to the buyer once every reviewing owner has (action release)', requestBody: { required: true, ...json(S.ReviewBody) }, responses: { 200: { description: 'ok', ...json(S.ReleaseResponse) }, ...errors } },
      },
      '/v1/review/reject': {
        post: { summary: 'Reject held outputs: the job ends rejected_by_owner (action reject)', requestBody: { required: true, ...json(S.ReviewBody) }, responses: { 200: { description: 'ok', ...json(S.RejectResponse) }, ...errors } },
      },
      '/v1/pin': {
        post: {
          summary: "Fetch a publisher's CIDs from its node and pin them here (EIP-712 PinRequest)",
          requestBody: { required: true, ...json(S.PinBody) },
          responses: { 200: { description: 'ok', ...json(S.PinResponse) }, ...errors },
        },
      },
      '/v1/download': {
        post: {
          summary: 'Access service: the content key re-sealed to the consumer (EIP-712 DownloadRequest)',
          requestBody: { required: true, ...json(S.DownloadBody) },
          responses: { 200: { description: 'ok', ...json(S.DownloadResponse) }, ...errors },
        },
      },
    },
  };
}
