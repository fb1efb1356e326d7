import { Alert, Anchor, Badge, Button, Checkbox, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { Fragment, useCallback, useEffect, useState } from 'react';
import type { AuditEntryView, CaseView, EnrollmentView, PhoneView } from '@jpki/contracts';
import { ActionDialog, type Action } from './ActionDialog';
import {
  api,
  canAct,
  canEndContract,
  canReadAudit,
  canReadCard,
  canReadCertificates,
  followUpsOf,
  pemOf,
  type CertificateSummary,
  type ReenrollmentNotice,
  type SearchKey,
  type Session,
  type SimView,
} from './api';
import { Refusal } from './App';
import { CaseLive } from './CaseLive';
import { useT } from './i18n';

const statusColor: Record<string, string> = { good: 'green', 'on-hold': 'orange', revoked: 'red', open: 'blue', 'waiting-device': 'yellow', completed: 'green', failed: 'red' };
const when = (iso: string | null) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) : '—');

interface Loaded {
  phone: PhoneView;
  cases: CaseView[];
  certificates: CertificateSummary[] | null;
  audit: AuditEntryView[] | null;
  enrollment: EnrollmentView | null;
  sim: SimView | { refused: unknown } | null;
}

/** A table that scrolls sideways can be scrolled with the keyboard (its viewport takes focus). */
export const KEYBOARD_SCROLLABLE = { viewportProps: { tabIndex: 0 } };

async function loadAll(session: Session, query: { key: SearchKey; value: string }): Promise<Loaded> {
  const phone = await api.get<PhoneView>(`/api/lifecycle/phones?${new URLSearchParams({ [query.key]: query.value })}`);
  const [cases, certificates, enrollment, sim] = await Promise.all([
    api.get<CaseView[]>(`/api/lifecycle/cases?${new URLSearchParams({ personId: phone.personId, limit: '100' })}`),
    canReadCertificates(session) ? api.get<{ certificates: CertificateSummary[] }>(`/api/ca/citizens/${phone.personId}`).then((c) => c.certificates) : Promise.resolve(null),
    api.get<EnrollmentView>(`/api/sp-tsm/enrollments/${encodeURIComponent(phone.enrollmentId)}`).catch(() => null),
    canReadCard(session) && phone.iccid ? api.get<SimView>(`/api/vsim/sims/${phone.iccid}`).catch((refused: unknown) => ({ refused })) : Promise.resolve(null),
  ]);
  let audit: AuditEntryView[] | null = null;
  if (canReadAudit(session)) {
    const targets = [`serial:${phone.serial}`, `person:${phone.personId}`, ...(phone.msisdn ? [`msisdn:${phone.msisdn}`] : []), ...(phone.iccid ? [`iccid:${phone.iccid}`] : [])];
    const lists = await Promise.all([
      ...cases.slice(0, 50).map((c) => api.get<AuditEntryView[]>(`/api/lifecycle/audit?${new URLSearchParams({ caseId: c.caseId, limit: '1000' })}`)),
      ...targets.map((target) => api.get<AuditEntryView[]>(`/api/lifecycle/audit?${new URLSearchParams({ target, limit: '1000' })}`)),
    ]);
    const byId = new Map(lists.flat().map((e) => [e.id, e]));
    audit = [...byId.values()].sort((a, b) => b.id - a.id);
  }
  return { phone, cases, certificates, audit, enrollment, sim };
}

export function PhonePage({ session, query }: { session: Session; query: { key: SearchKey; value: string }; onSearch: (q: { key: SearchKey; value: string }) => void }) {
  const t = useT();
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [action, setAction] = useState<Action | null>(null);
  const [live, setLive] = useState<CaseView | null>(null);
  const [notice, setNotice] = useState<ReenrollmentNotice | null>(null);

  const reload = useCallback(() => {
    loadAll(session, query).then(
      (d) => {
        setData(d);
        setError(null);
      },
      (err) => setError(err),
    );
  }, [session, query]);
  useEffect(reload, [reload]);

  if (error) return <Refusal error={error} />;
  if (!data) return <Text>{t('loading')}</Text>;
  const { phone } = data;
  const revoked = phone.certificate.status === 'revoked';
  const caseRunning = live !== null && live.status === 'open';
  const waiting = data.cases.filter((c) => c.status === 'waiting-device');

  return (
    <Stack data-testid="phone-page">
      <Paper withBorder p="md" component="section" aria-labelledby="phone-title">
        <Group justify="space-between" mb="sm" wrap="wrap">
          <Title order={2} size="h3" id="phone-title">
            {t('phoneTitle')} {phone.msisdn ?? phone.iccid ?? phone.serial}
          </Title>
          <Group gap="xs">
            <Text size="sm">{t('certificateStatus')}:</Text>
            <Badge size="lg" color={statusColor[phone.certificate.status]} data-testid="certificate-status">
              {t(`status.${phone.certificate.status}`)}
              {phone.certificate.revocationReason ? ` (${phone.certificate.revocationReason})` : ''}
            </Badge>
          </Group>
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="xs">
          <Field label={t('msisdn')} value={phone.msisdn} />
          <Field label={t('iccid')} value={phone.iccid} />
          <Field label={t('carrier')} value={[phone.carrier, phone.mvno].filter(Boolean).join(' / ') || null} />
          <Field label={t('device')} value={phone.deviceKind} />
          <Field label={t('personId')} value={phone.personId} />
          <Field label={t('enrollmentId')} value={phone.enrollmentId} />
          <Field label={t('serial')} value={phone.serial} />
          <Field label={t('validUntil')} value={when(phone.notAfter)} />
          <Field label={t('serviceState')} value={phone.service.state} testId="service-state" />
          <Field label={t('pendingOperation')} value={phone.service.pendingOperation} />
          <Field label={t('lost')} value={phone.lost ? t('yes') : t('no')} testId="lost-flag" />
          <Field label={t('reenrollmentRequired')} value={phone.reenrollmentRequired ? t('yes') : t('no')} testId="reenrollment-flag" />
          <Field label={t('simClosed')} value={phone.sim?.closedAt ? `${phone.sim.closedReason ?? ''} ${when(phone.sim.closedAt)}` : t('no')} testId="sim-closed" />
        </SimpleGrid>
      </Paper>

      {canAct(session) ? (
        <Paper withBorder p="md" component="section" aria-labelledby="actions-title">
          <Title order={2} size="h4" id="actions-title" mb="xs">
            {t('actionsTitle')}
          </Title>
          <Group wrap="wrap">
            <Button color="orange" onClick={() => setAction({ kind: 'loss' })} disabled={phone.lost || revoked || caseRunning}>
              {t('reportLoss')}
            </Button>
            <Button color="teal" onClick={() => setAction({ kind: 'found' })} disabled={!phone.lost || revoked || caseRunning}>
              {t('reportFound')}
            </Button>
            <Button color="red" variant="outline" onClick={() => setAction({ kind: 'revocation' })} disabled={revoked || caseRunning}>
              {t('revoke')}
            </Button>
            {canEndContract(session, phone) && (
              <Button color="red" variant="light" onClick={() => setAction({ kind: 'contract-end' })} disabled={caseRunning}>
                {t('endContract')}
              </Button>
            )}
            {phone.reenrollmentRequired && (
              <Button variant="outline" onClick={() => setAction({ kind: 'reenrollment-notice' })} disabled={caseRunning}>
                {t('sendNotice')}
              </Button>
            )}
          </Group>
          <FollowUp waiting={waiting} notice={notice} onFollowUp={(c) => setAction({ kind: 'follow-up', case: c })} />
        </Paper>
      ) : (
        <Text size="sm" c="gray.7" data-testid="read-only-note">
          {t('noActionsForRole')}
        </Text>
      )}

      {live && (
        <CaseLive
          initial={live}
          onUpdate={(c) => setLive(c)}
          onChanged={() => reload()}
        />
      )}

      <Paper withBorder p="md" component="section" aria-labelledby="certs-title">
        <Title order={2} size="h4" id="certs-title" mb="xs">
          {t('certificatesTitle')}
        </Title>
        {data.certificates ? <Certificates certificates={data.certificates} /> : <Text size="sm">{t('certificatesNeedOperator')}</Text>}
      </Paper>

      {data.sim && (
        <Paper withBorder p="md" component="section" aria-labelledby="card-title">
          <Title order={2} size="h4" id="card-title" mb="xs">
            {t('cardTitle')}
          </Title>
          {'refused' in data.sim ? <Refusal error={data.sim.refused} /> : <CardState sim={data.sim} />}
        </Paper>
      )}

      <Paper withBorder p="md" component="section" aria-labelledby="cases-title">
        <Title order={2} size="h4" id="cases-title" mb="xs">
          {t('casesTitle')}
        </Title>
        <EnrollmentSummary id={phone.enrollmentId} enrollment={data.enrollment} />
        <Cases cases={data.cases} />
      </Paper>

      <Paper withBorder p="md" component="section" aria-labelledby="audit-title">
        <Title order={2} size="h4" id="audit-title" mb="xs">
          {t('auditTitle')}
        </Title>
        {data.audit ? <Audit entries={data.audit} /> : <Text size="sm">{t('auditNeedsAuditor')}</Text>}
      </Paper>

      {action && (
        <ActionDialog
          action={action}
          phone={phone}
          onClose={() => setAction(null)}
          onDone={(outcome) => {
            setAction(null);
            if ('notice' in outcome) setNotice(outcome.notice);
            else setLive(outcome.case);
            reload();
          }}
        />
      )}
    </Stack>
  );
}

/** What is left to do after a case: card operations waiting for the phone to come online, and the notice just sent. */
function FollowUp({ waiting, notice, onFollowUp }: { waiting: CaseView[]; notice: ReenrollmentNotice | null; onFollowUp: (c: CaseView) => void }) {
  const t = useT();
  return (
    <Stack gap={4} mt="xs">
      {waiting.map((c) => {
        const last = followUpsOf(c).at(-1);
        return (
          <Group key={c.caseId} gap="xs" wrap="wrap" data-testid="waiting-device">
            <Text size="sm">
              {t('waitingForPhone')}: {c.kind} ({when(c.openedAt)}) — {t('certificate')}: {c.outcomes.certificate}; SIM: {c.outcomes.service}
              {last ? ` — ${t('lastFollowUp')}: ${last.by}, ${when(last.at)}` : ''}
            </Text>
            <Button size="xs" variant="outline" onClick={() => onFollowUp(c)}>
              {t('followUp')}
            </Button>
          </Group>
        );
      })}
      {notice && (
        <Alert color="blue" title={t('noticeSent')} data-testid="notice-sent">
          {t('noticeCause')}: {notice.cause}; {t('noticeCase')}: {notice.caseId}; {notice.sentBy}, {when(notice.sentAt)}
        </Alert>
      )}
    </Stack>
  );
}

function Field({ label, value, testId }: { label: string; value: string | null; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="gray.7">
        {label}
      </Text>
      <Text size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }} data-testid={testId}>
        {value ?? '—'}
      </Text>
    </div>
  );
}

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Certificates({ certificates }: { certificates: CertificateSummary[] }) {
  const t = useT();
  return (
    <Table.ScrollContainer minWidth={640} scrollAreaProps={KEYBOARD_SCROLLABLE}>
      <Table striped data-testid="certificates-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('kind')}</Table.Th>
            <Table.Th>{t('serial')}</Table.Th>
            <Table.Th>{t('status')}</Table.Th>
            <Table.Th>{t('validity')}</Table.Th>
            <Table.Th>PEM</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {certificates.map((c) => (
            <Table.Tr key={c.serial} data-serial={c.serial}>
              <Table.Td>{c.kind}</Table.Td>
              <Table.Td ff="monospace">{c.serial}</Table.Td>
              <Table.Td>
                <Badge color={statusColor[c.status]} data-testid={`cert-status-${c.serial}`}>
                  {t(`status.${c.status}`)}
                </Badge>
                {c.revocationReason && <Text size="xs">{c.revocationReason}</Text>}
              </Table.Td>
              <Table.Td>
                <Text size="xs">
                  {when(c.notBefore)} → {when(c.notAfter)}
                </Text>
              </Table.Td>
              <Table.Td>
                <Anchor component="button" type="button" size="sm" onClick={() => download(`${c.serial}.pem`, pemOf(c.certificate))} aria-label={`${t('download')} ${c.serial}`}>
                  {t('download')}
                </Anchor>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function Cases({ cases }: { cases: CaseView[] }) {
  const t = useT();
  const [open, setOpen] = useState<string | null>(null);
  const [detail, setDetail] = useState<CaseView | null>(null);
  useEffect(() => {
    if (!open) return setDetail(null);
    api.get<CaseView>(`/api/lifecycle/cases/${open}`).then(setDetail, () => setDetail(null));
  }, [open]);
  if (cases.length === 0) return <Text size="sm">{t('noCases')}</Text>;
  return (
    <Table.ScrollContainer minWidth={720} scrollAreaProps={KEYBOARD_SCROLLABLE}>
      <Table data-testid="cases-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('kind')}</Table.Th>
            <Table.Th>{t('status')}</Table.Th>
            <Table.Th>{t('openedBy')}</Table.Th>
            <Table.Th>{t('reason')}</Table.Th>
            <Table.Th>{t('outcome')}</Table.Th>
            <Table.Th>{t('opened')}</Table.Th>
            <Table.Th>{t('steps')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {cases.map((c) => (
            <Fragment key={c.caseId}>
              <Table.Tr data-case-kind={c.kind}>
                <Table.Td>{c.kind}</Table.Td>
                <Table.Td>
                  <Badge color={statusColor[c.status]}>{t(`case.${c.status}`)}</Badge>
                </Table.Td>
                <Table.Td>{c.openedBy}</Table.Td>
                <Table.Td>{c.reason ?? '—'}</Table.Td>
                <Table.Td>
                  <Text size="xs">
                    {t('certificate')}: {c.outcomes.certificate}; SIM: {c.outcomes.service}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{when(c.openedAt)}</Text>
                </Table.Td>
                <Table.Td>
                  <Anchor component="button" type="button" size="sm" aria-expanded={open === c.caseId} onClick={() => setOpen(open === c.caseId ? null : c.caseId)}>
                    {open === c.caseId ? t('hideSteps') : t('showSteps')}
                  </Anchor>
                </Table.Td>
              </Table.Tr>
              {open === c.caseId && detail?.caseId === c.caseId && (
                <Table.Tr>
                  <Table.Td colSpan={7}>
                    <Steps steps={detail.saga?.history ?? []} />
                  </Table.Td>
                </Table.Tr>
              )}
            </Fragment>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function Steps({ steps }: { steps: { at: string; step: string | null; outcome: string; toState: string; detail: string | null }[] }) {
  return (
    <Stack gap={2} component="ol" style={{ margin: 0, paddingLeft: 20 }}>
      {steps.map((s, i) => {
        const ms = i > 0 ? new Date(s.at).getTime() - new Date(steps[i - 1].at).getTime() : 0;
        return (
          <Text component="li" size="xs" key={i} ff="monospace">
            {when(s.at)} {s.step ?? '—'} {s.outcome} → {s.toState}
            {i > 0 ? ` (+${ms} ms)` : ''}
            {s.detail ? ` — ${s.detail}` : ''}
          </Text>
        );
      })}
    </Stack>
  );
}

const isRead = (e: AuditEntryView) => /\.(read|list)$/.test(e.action);

function Audit({ entries: all }: { entries: AuditEntryView[] }) {
  const t = useT();
  const [reads, setReads] = useState(false);
  const entries = reads ? all : all.filter((e) => !isRead(e));
  return (
    <Stack gap="xs">
      <Checkbox label={t('includeReads')} checked={reads} onChange={(e) => setReads(e.currentTarget.checked)} />
      {entries.length === 0 ? <Text size="sm">{t('noAudit')}</Text> : <AuditTable entries={entries} />}
    </Stack>
  );
}

function AuditTable({ entries }: { entries: AuditEntryView[] }) {
  const t = useT();
  return (
    <Table.ScrollContainer minWidth={720} scrollAreaProps={KEYBOARD_SCROLLABLE}>
      <Table striped data-testid="audit-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('time')}</Table.Th>
            <Table.Th>{t('actor')}</Table.Th>
            <Table.Th>{t('action')}</Table.Th>
            <Table.Th>{t('target')}</Table.Th>
            <Table.Th>{t('reason')}</Table.Th>
            <Table.Th>{t('outcome')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map((e) => (
            <Table.Tr key={e.id}>
              <Table.Td>
                <Text size="xs">{when(e.occurredAt)}</Text>
              </Table.Td>
              <Table.Td>{e.actor}</Table.Td>
              <Table.Td>{e.action}</Table.Td>
              <Table.Td ff="monospace">{e.target ?? '—'}</Table.Td>
              <Table.Td>{e.reason ?? '—'}</Table.Td>
              <Table.Td>
                {e.outcome} ({e.statusCode})
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function EnrollmentSummary({ id, enrollment }: { id: string; enrollment: EnrollmentView | null }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  return (
    <Stack gap={4} mb="sm" data-testid="enrollment">
      <Text size="sm">
        {t('enrollment')}: <span style={{ fontFamily: 'monospace' }}>{id}</span>
        {enrollment && (
          <>
            {' '}
            — {enrollment.status}, {enrollment.state}, {enrollment.keyMode}, {enrollment.operator}
            {enrollment.history.length > 1 && ` (${((new Date(enrollment.history[enrollment.history.length - 1].at).getTime() - new Date(enrollment.history[0].at).getTime()) / 1000).toFixed(1)} s)`}{' '}
            <Anchor component="button" type="button" size="sm" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? t('hideSteps') : t('showSteps')}
            </Anchor>
          </>
        )}
      </Text>
      {open && enrollment && <Steps steps={enrollment.history.map((h) => ({ ...h, detail: null }))} />}
    </Stack>
  );
}

function CardState({ sim }: { sim: SimView }) {
  const t = useT();
  return (
    <Stack gap="xs" data-testid="card-state">
      <Text size="sm">
        {t('cardLifeCycle')}: {sim.card.lifeCycle.name}; {t('handsetPower')}: {sim.handset.power}; IMEI: {sim.handset.imei ?? '—'}
      </Text>
      <Table.ScrollContainer minWidth={560} scrollAreaProps={KEYBOARD_SCROLLABLE}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>AID</Table.Th>
              <Table.Th>{t('kind')}</Table.Th>
              <Table.Th>{t('status')}</Table.Th>
              <Table.Th>SCP03</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sim.card.registry
              .filter((e) => e.kind !== 'ELF')
              .map((e) => (
                <Table.Tr key={e.aid}>
                  <Table.Td ff="monospace">{e.aid}</Table.Td>
                  <Table.Td>{e.jpki ? `JPKI ${e.jpki.role} (${e.jpki.pinTriesRemaining})` : e.kind}</Table.Td>
                  <Table.Td>{e.lifeCycle.name}</Table.Td>
                  <Table.Td>{e.scp03 ? `${e.scp03.mode} (i=${e.scp03.i})` : '—'}</Table.Td>
                </Table.Tr>
              ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
