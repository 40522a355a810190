import { useEffect, useState } from 'react';
import type { EngineStatus } from '../../../src-shared/contract';
import { qins } from '../lib/qins';

export function useEngineStatus(): EngineStatus | null {
  const [status, setStatus] = useState<EngineStatus | null>(null);
  useEffect(() => {
    const off = qins.on('engine.status', setStatus);
    qins.invoke('engine.status', {}).then(setStatus, () => undefined);
    return off;
  }, []);
  return status;
}
