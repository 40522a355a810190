// The app's single confirmation dialog ("Delete …?"): Enter confirms, Esc cancels.
import { useConfirm } from '../../state/confirm';
import { Button } from './Button';
import { Dialog } from './Dialog';

export function ConfirmHost() {
  const request = useConfirm((s) => s.request);
  const answer = useConfirm((s) => s.answer);
  return (
    <Dialog
      open={request !== null}
      onClose={() => answer(false)}
      title={request?.title ?? ''}
      description={request?.description}
      footer={
        <>
          <Button onClick={() => answer(false)}>Cancel</Button>
          <Button variant="danger" onClick={() => answer(true)} data-autofocus>
            {request?.confirmLabel ?? 'OK'}
          </Button>
        </>
      }
    />
  );
}
