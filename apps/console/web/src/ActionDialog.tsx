import { Alert, Button, Group, Modal, Select, Stack, Text, Textarea } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { CaseView, PhoneView } from '@jpki/contracts';
import { api, ApiError, type ReenrollmentNotice } from './api';
import { useT } from './i18n';

export type ActionKind = 'loss' | 'found' | 'revocation' | 'contract-end' | 'reenrollment-notice' | 'follow-up';
/** An action, and for a follow-up the case it follows. */
export interface Action {
  kind: ActionKind;
  case?: CaseView;
}

const TITLES: Record<ActionKind, string> = {
  loss: 'reportLoss',
  found: 'reportFound',
  revocation: 'revoke',
  'contract-end': 'endContract',
  'reenrollment-notice': 'sendNotice',
  'follow-up': 'followUp',
};
const WARNINGS: Record<ActionKind, string> = {
  loss: 'confirmLoss',
  found: 'confirmFound',
  revocation: 'confirmRevoke',
  'contract-end': 'confirmContractEnd',
  'reenrollment-notice': 'confirmNotice',
  'follow-up': 'confirmFollowUp',
};
const COLORS: Record<ActionKind, string> = { loss: 'orange', found: 'teal', revocation: 'red', 'contract-end': 'red', 'reenrollment-notice': 'blue', 'follow-up': 'blue' };
/** RFC 5280 CRLReason values the lifecycle API accepts from an operator (certificateHold is a loss report). */
const REVOCATION_REASONS = ['keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'privilegeWithdrawn', 'unspecified'] as const;
const CASE_WAIT_MS = 30_000;

export type ActionOutcome = { case: CaseView } | { notice: ReenrollmentNotice };

/** The contract-end case the lifecycle service opens when the carrier's notification reaches it. */
async function contractEndCase(iccid: string): Promise<CaseView> {
  const deadline = Date.now() + CASE_WAIT_MS;
  for (;;) {
    const [found] = await api.get<CaseView[]>(`/api/lifecycle/cases?${new URLSearchParams({ iccid, kind: 'contract-end', limit: '1' })}`);
    if (found) return found;
    if (Date.now() > deadline) throw new ApiError(504, 'CASE_NOT_OPENED', `no contract-end case for SIM ${iccid} after ${CASE_WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function perform({ kind, case: followed }: Action, phone: PhoneView, reason: string, revocationReason: string): Promise<ActionOutcome> {
  switch (kind) {
    case 'follow-up':
      return { case: await api.post<CaseView>(`/api/lifecycle/cases/${encodeURIComponent(followed?.caseId ?? '')}/follow-ups`, { reason }) };
    case 'contract-end':
      // The carrier ends the contract; the platform's follow-up (revocation, SSD deletion) is the lifecycle case.
      await api.post(`/api/mno-tsm/${phone.carrier}/subscribers/${encodeURIComponent(phone.msisdn ?? '')}/contract-end`, { note: reason });
      return { case: await contractEndCase(phone.iccid ?? '') };
    case 'reenrollment-notice':
      return { notice: await api.post<ReenrollmentNotice>('/api/lifecycle/reenrollment-notices', { personId: phone.personId, reason }) };
    case 'revocation':
      return { case: await api.post<CaseView>('/api/lifecycle/revocations', { serial: phone.serial, reason, revocationReason }) };
    default:
      return { case: await api.post<CaseView>(`/api/lifecycle/${kind === 'loss' ? 'loss-reports' : 'found-reports'}`, { serial: phone.serial, reason }) };
  }
}

/** Confirmation of an action with a mandatory reason; the API's refusal is shown next to the field it concerns. */
export function ActionDialog({ action, phone, onClose, onDone }: { action: Action; phone: PhoneView; onClose: () => void; onDone: (outcome: ActionOutcome) => void }) {
  const { kind } = action;
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
      onDone(await perform(action, phone, reason.trim(), revocationReason));
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
    <Modal opened onClose={onClose} title={`${t(TITLES[kind])}: ${action.case ? `${action.case.kind} ` : ''}${phone.msisdn ?? phone.serial}`} size="lg" centered>
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
            <Button type="submit" color={COLORS[kind]} loading={busy}>
              {t('confirm')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
