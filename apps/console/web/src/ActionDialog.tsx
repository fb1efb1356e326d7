import { Alert, Button, Group, Modal, Select, Stack, Text, Textarea } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, ApiError, type CaseView, type PhoneView } from './api';
import { useT } from './i18n';

export type ActionKind = 'loss' | 'found' | 'revocation';

const PATHS: Record<ActionKind, string> = { loss: 'loss-reports', found: 'found-reports', revocation: 'revocations' };
const TITLES: Record<ActionKind, string> = { loss: 'reportLoss', found: 'reportFound', revocation: 'revoke' };
const WARNINGS: Record<ActionKind, string> = { loss: 'confirmLoss', found: 'confirmFound', revocation: 'confirmRevoke' };
/** RFC 5280 CRLReason values the lifecycle API accepts from an operator (certificateHold is a loss report). */
const REVOCATION_REASONS = ['keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'privilegeWithdrawn', 'unspecified'] as const;

/** Confirmation of an action with a mandatory reason; the API's refusal is shown next to the field it concerns. */
export function ActionDialog({ kind, phone, onClose, onOpened }: { kind: ActionKind; phone: PhoneView; onClose: () => void; onOpened: (c: CaseView) => void }) {
  const t = useT();
  const [reason, setReason] = useState('');
  const [revocationReason, setRevocationReason] = useState<string>(phone.lost ? 'keyCompromise' : 'cessationOfOperation');
  const [error, setError] = useState<{ field: 'reason' | 'revocationReason' | 'form'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim().length < 3) return setError({ field: 'reason', text: t('reasonRequired') });
    setBusy(true);
    setError(null);
    try {
      const body = { serial: phone.serial, reason: reason.trim(), ...(kind === 'revocation' ? { revocationReason } : {}) };
      onOpened(await api.post<CaseView>(`/api/lifecycle/${PATHS[kind]}`, body));
    } catch (err) {
      if (err instanceof ApiError) {
        const text = `${err.reason}: ${err.message}${err.detailText ? ` (${err.detailText})` : ''}`;
        const field = err.detailText.startsWith('revocationReason') ? 'revocationReason' : err.reason === 'VALIDATION_FAILED' ? 'reason' : 'form';
        setError({ field, text });
      } else setError({ field: 'form', text: String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={`${t(TITLES[kind])}: ${phone.msisdn ?? phone.serial}`} size="lg" centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm">{t(WARNINGS[kind])}</Text>
          {kind === 'revocation' && (
            <Select
              label={t('revocationReason')}
              value={revocationReason}
              onChange={(v) => v && setRevocationReason(v)}
              allowDeselect={false}
              data={[...REVOCATION_REASONS]}
              error={error?.field === 'revocationReason' ? error.text : undefined}
            />
          )}
          <Textarea
            label={t('reasonLabel')}
            description={t('reasonHelp')}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            required
            autosize
            minRows={2}
            maxLength={512}
            error={error?.field === 'reason' ? error.text : undefined}
            data-autofocus
          />
          {error?.field === 'form' && (
            <Alert color="red" role="alert" data-testid="action-refusal">
              {error.text}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('cancel')}
            </Button>
            <Button type="submit" color={kind === 'found' ? 'teal' : kind === 'loss' ? 'orange' : 'red'} loading={busy}>
              {t('confirm')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
