import { BarChart } from '@mantine/charts';
import { Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api, canReadOtaQueue, type OtaBacklog, type Session } from './api';
import { useT } from './i18n';
import { KEYBOARD_SCROLLABLE } from './PhonePage';
import { Refusal } from './App';

/** apps/console/src/events.controller.ts `Dashboard`. */
export interface DashboardView {
  carrier: string | null;
  feed: { received: number; refused: number };
  enrollmentsPerHour: { hour: string; carrier: string; count: number }[];
  failuresByCause: { cause: string; carrier: string; count: number }[];
  deadLetters: {
    total: number;
    byReason: { reason: string; count: number }[];
    recent: { id: string; originalTopic: string; reason: string; messageType: string | null; failedBy: string | null; failedAt: string | null; detail: string }[];
    error?: string;
  };
}

const SERIES_COLORS: Record<string, string> = { docomo: 'red.8', kddi: 'orange.9', softbank: 'gray.7', iphone: 'blue.8' };
const REFRESH_MS = 10_000;

/**
 * The carrier dashboard: enrollments per hour, failures by cause, dead letters, and card operations waiting for a
 * phone (the carrier's MNO-TSM) — figures and charts, in the user's scope.
 */
export function Dashboard({ session }: { session: Session }) {
  const t = useT();
  const [view, setView] = useState<DashboardView | null>(null);
  const [queue, setQueue] = useState<OtaBacklog | { refused: unknown } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api.get<DashboardView>('/api/dashboard').then(
      (v) => {
        setView(v);
        setError(null);
      },
      (e: unknown) => setError(e),
    );
    if (canReadOtaQueue(session)) api.get<OtaBacklog>(`/api/mno-tsm/${session.carrier}/ota-queue`).then(setQueue, (refused: unknown) => setQueue({ refused }));
  }, [session]);
  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  if (error) return <Refusal error={error} />;
  if (!view) return <Text>{t('loading')}</Text>;

  const carriers = [...new Set(view.enrollmentsPerHour.map((x) => x.carrier))].sort();
  const hours = [...new Set(view.enrollmentsPerHour.map((x) => x.hour))].sort();
  const perHour = hours.map((hour) => ({
    hour: hour.slice(11, 16),
    ...Object.fromEntries(carriers.map((c) => [c, view.enrollmentsPerHour.filter((x) => x.hour === hour && x.carrier === c).reduce((n, x) => n + x.count, 0)])),
  }));
  const enrollments = view.enrollmentsPerHour.reduce((n, x) => n + x.count, 0);
  const failures = view.failuresByCause.reduce((n, x) => n + x.count, 0);

  return (
    <Stack data-testid="dashboard" data-carrier={view.carrier ?? 'all'}>
      <Group justify="space-between">
        <Title order={2} size="h4">
          {t('dashboardTitle')} — {view.carrier ?? t('allCarriers')}
        </Title>
        <Button size="xs" variant="default" onClick={load}>
          {t('refresh')}
        </Button>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
        <Figure label={t('enrollmentsTotal')} value={String(enrollments)} testId="figure-enrollments" />
        <Figure label={t('failuresTotal')} value={String(failures)} testId="figure-failures" />
        <Figure label={t('deadLettersTotal')} value={view.deadLetters.error ? '?' : String(view.deadLetters.total)} testId="figure-dead-letters" />
        <Figure
          label={t('queuedOps')}
          value={queue && 'states' in queue ? String(queue.states.filter((x) => x.state === 'waiting-for-phone').reduce((n, x) => n + x.count, 0)) : '—'}
          note={canReadOtaQueue(session) ? undefined : t('queuedOpsForOperators')}
          testId="figure-queued-operations"
        />
      </SimpleGrid>

      <Section id="per-hour-title" title={t('enrollmentsPerHour')}>
        {perHour.length === 0 ? (
          <Text>{t('none')}</Text>
        ) : (
          <>
            <BarChart h={220} data={perHour} dataKey="hour" type="stacked" withLegend series={carriers.map((c) => ({ name: c, color: SERIES_COLORS[c] ?? 'violet.8' }))} />
            <Table mt="sm" data-testid="enrollments-per-hour" aria-labelledby="per-hour-title">
              <Columns keys={['hour', 'carrier', 'count']} />
              <Table.Tbody>
                {view.enrollmentsPerHour.map((x) => (
                  <Table.Tr key={`${x.hour}-${x.carrier}`} data-testid={`enrollments-${x.carrier}`}>
                    <Table.Td>{x.hour.replace('T', ' ').slice(0, 16)}</Table.Td>
                    <Table.Td>{x.carrier}</Table.Td>
                    <Table.Td>{x.count}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </>
        )}
      </Section>

      <Section id="failures-title" title={t('failuresByCause')}>
        {view.failuresByCause.length === 0 ? (
          <Text data-testid="failures-by-cause">{t('none')}</Text>
        ) : (
          <>
            <BarChart h={200} data={view.failuresByCause.map((x) => ({ cause: `${x.cause} (${x.carrier})`, count: x.count }))} dataKey="cause" series={[{ name: 'count', color: 'red.8' }]} />
            <Table mt="sm" data-testid="failures-by-cause" aria-labelledby="failures-title">
              <Columns keys={['cause', 'carrier', 'count']} />
              <Table.Tbody>
                {view.failuresByCause.map((x) => (
                  <Table.Tr key={`${x.cause}-${x.carrier}`}>
                    <Table.Td>{x.cause}</Table.Td>
                    <Table.Td>{x.carrier}</Table.Td>
                    <Table.Td>{x.count}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </>
        )}
      </Section>

      {queue && <QueuedOperations queue={queue} />}

      <Section id="dlq-title" title={t('deadLetters')}>
        {view.deadLetters.error && <Refusal error={view.deadLetters.error} />}
        {view.deadLetters.recent.length === 0 ? (
          <Text data-testid="dead-letters">{t('none')}</Text>
        ) : (
          <Table.ScrollContainer minWidth={560} scrollAreaProps={KEYBOARD_SCROLLABLE}>
            <Table data-testid="dead-letters" aria-labelledby="dlq-title">
              <Columns keys={['topic', 'cause', 'feedType', 'feedDetail']} />
              <Table.Tbody>
                {view.deadLetters.recent.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>{d.originalTopic}</Table.Td>
                    <Table.Td>{d.reason}</Table.Td>
                    <Table.Td>{d.messageType ?? '—'}</Table.Td>
                    <Table.Td style={{ wordBreak: 'break-all' }}>{d.detail}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Section>
      <Text size="xs">
        {t('feedRefused')}: <span data-testid="feed-refused">{view.feed.refused}</span>
      </Text>
    </Stack>
  );
}

/** The carrier's OTA queue: card operations not done yet, per state and operation, with the oldest one's age. */
function QueuedOperations({ queue }: { queue: OtaBacklog | { refused: unknown } }) {
  const t = useT();
  return (
    <Section id="queue-title" title={`${t('queuedOps')}${'carrier' in queue ? ` — ${queue.carrier}` : ''}`}>
      {'refused' in queue ? (
        <Refusal error={queue.refused} />
      ) : queue.states.length === 0 ? (
        <Text data-testid="queued-operations">{t('none')}</Text>
      ) : (
        <Table data-testid="queued-operations" aria-labelledby="queue-title">
          <Columns keys={['queuedOpsState', 'queuedOpsOperation', 'count', 'queuedOpsOldest']} />
          <Table.Tbody>
            {queue.states.map((x) => (
              <Table.Tr key={`${x.state}-${x.operation}`} data-testid={`queued-${x.state}-${x.operation}`}>
                <Table.Td>{t(`ota.${x.state}`)}</Table.Td>
                <Table.Td>{x.operation}</Table.Td>
                <Table.Td>{x.count}</Table.Td>
                <Table.Td>
                  {x.oldestAt.replace('T', ' ').slice(0, 19)} ({x.oldestAgeSeconds} s)
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Section>
  );
}

function Figure({ label, value, note, testId }: { label: string; value: string; note?: string; testId: string }) {
  return (
    <Paper withBorder p="sm" data-testid={testId}>
      <Text size="sm">{label}</Text>
      <Text size="xl" fw={700} data-testid={`${testId}-value`}>
        {value}
      </Text>
      {note && <Text size="xs">{note}</Text>}
    </Paper>
  );
}

/** A dashboard panel: a titled section the tables inside it are labelled by. */
function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={id}>
      <Title order={3} size="h5" id={id} mb="sm">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

function Columns({ keys }: { keys: string[] }) {
  const t = useT();
  return (
    <Table.Thead>
      <Table.Tr>
        {keys.map((k) => (
          <Table.Th key={k} scope="col">
            {t(k)}
          </Table.Th>
        ))}
      </Table.Tr>
    </Table.Thead>
  );
}
