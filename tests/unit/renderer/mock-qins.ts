// vi.mock target: the renderer's `lib/qins` module backed by the fake.
export { fakeQins as qins } from './fake-qins';
export { errorOf } from '../../../src-shared/api';
