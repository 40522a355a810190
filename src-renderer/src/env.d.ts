import type { QinsApi } from '../../src-shared/contract';

declare global {
  interface Window {
    qins?: QinsApi;
  }
}
