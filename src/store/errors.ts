import { TsbuildError } from '../errors.js';

/** Something the store was asked for that it does not hold, or cannot accept. */
export class StoreError extends TsbuildError {
  constructor(code: string, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
    this.name = 'StoreError';
  }
}
