import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interface } from 'ethers';
import { datatokenAbi, fixedRateExchangeAbi } from '../contracts/index.js';
import { CoveError } from '../errors.js';
import { toActionError } from './errors.js';

const exchange = new Interface(fixedRateExchangeAbi);
const datatoken = new Interface(datatokenAbi);

test('maps Cove reverts to action codes and keeps the Solidity name', () => {
  const slippage = toActionError({ data: exchange.encodeErrorResult('FixedRateExchangeSlippage', [7n, 5n]) }, 'buy');
  assert.equal(slippage.code, 'SLIPPAGE_EXCEEDED');
  assert.equal(slippage.details?.error, 'FixedRateExchangeSlippage');
  const balance = toActionError({ error: { data: datatoken.encodeErrorResult('ERC20InsufficientBalance', ['0x' + '11'.repeat(20), 1n, 2n]) } }, 'order');
  assert.equal(balance.code, 'INSUFFICIENT_BALANCE');
  const other = toActionError({ data: datatoken.encodeErrorResult('DatatokenInvalidConsumer', []) }, 'order');
  assert.equal(other.code, 'CONTRACT_REVERTED');
});

test('maps ethers INSUFFICIENT_FUNDS, passes CoveErrors through, wraps the rest', () => {
  assert.equal(toActionError({ code: 'INSUFFICIENT_FUNDS' }, 'buy').code, 'INSUFFICIENT_BALANCE');
  const mine = new CoveError('CID_NOT_FOUND', 'x');
  assert.equal(toActionError(mine, 'get'), mine);
  assert.equal(toActionError(new Error('socket hang up'), 'get').code, 'TRANSACTION_FAILED');
});
