import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbiCoder, Interface, TypedDataEncoder, id, keccak256 } from 'ethers';
import { BATCH_EIP712_TYPES, RECEIPT_EIP712_TYPES, computeOrderId, computeReceiptsAbi, datatokenAbi, decodeContractError } from './index.js';
import { isCoveError } from '../errors.js';

test('the EIP-712 receipt type encodes to the contract type string', () => {
  const encoded = TypedDataEncoder.from(RECEIPT_EIP712_TYPES).encodeType('Receipt');
  assert.equal(
    encoded,
    'Receipt(bytes32 jobId,address consumer,bytes32[] orderIds,uint256[] assetIds,bytes32[] datasetContentHashes,' +
      'bytes32 algorithmImageDigest,bytes32 algorithmCodeHash,bytes32 algorithmHash,bytes32 outputsHash,' +
      'string resultCid,uint8 status,uint8 runtime,uint64 startedAt,uint64 finishedAt)',
  );
  const fields = computeReceiptsAbi.find((f) => f.type === 'function' && f.name === 'recordJob')!.inputs[0]!.components;
  assert.deepEqual(
    RECEIPT_EIP712_TYPES.Receipt!.map((f) => `${f.type} ${f.name}`),
    fields.map((f) => `${f.type} ${f.name}`),
  );
  assert.equal(TypedDataEncoder.from(BATCH_EIP712_TYPES).encodeType('ReceiptBatch'), 'ReceiptBatch(bytes32 root,uint256 count)');
});

test('computeOrderId hashes chain id, datatoken, payer and nonce in that order', () => {
  const datatoken = '0x00000000000000000000000000000000000000d7';
  const payer = '0x00000000000000000000000000000000000000aa';
  const expected = keccak256(
    AbiCoder.defaultAbiCoder().encode(['uint256', 'address', 'address', 'uint256'], [31337n, datatoken, payer, 3n]),
  );
  assert.equal(computeOrderId({ chainId: 31337n, datatoken, payer, nonce: 3n }), expected);
  assert.notEqual(computeOrderId({ chainId: 1n, datatoken, payer, nonce: 3n }), expected);
});

test('decodeContractError turns revert data into a CONTRACT_REVERTED error naming the Solidity error', () => {
  const data = new Interface(datatokenAbi).encodeErrorResult('DatatokenUnknownService', [5n, 2n]);
  const err = decodeContractError({ message: 'execution reverted', info: { error: { data } } });
  assert.ok(isCoveError(err, 'CONTRACT_REVERTED'));
  assert.equal(err.details?.error, 'DatatokenUnknownService');
  assert.deepEqual(err.details?.args, [5n, 2n]);
  assert.equal(decodeContractError({ data: id('Unknown(uint256)').slice(0, 10) }), undefined);
  assert.equal(decodeContractError(new Error('no data')), undefined);
});
