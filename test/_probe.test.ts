import { describe, test } from 'node:test';
describe('x', () => {
  test('y', () => {});
});
