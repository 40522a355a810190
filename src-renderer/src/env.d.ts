import type { QinsApi } from '../../src-preload/contract';

declare global {
  interface Window {
    qins?: QinsApi;
  }
}
