import { BarChart } from '@mantine/charts';
import { Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { api } from './api';
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
  queuedCardOperations: null;
}

const SERIES_COLORS: Record<string, string> = { docomo: 'red.8', kddi: 'orange.9', softbank: 'gray.7', iphone: 'blue.8' };
const REFRESH_MS = 10_000;

/** The carrier dashboard: enrollments per hour, failures by cause, dead letters — figures and charts, in the user's scope. */
export function Dashboard() {
  const t = useT();
  const [view, setView] = useState<DashboardView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api.get<DashboardView>('/api/dashboard').then(
      (v) => {
        setView(v);
        setError(null);
      },
      (e: unknown) => setError(e),
    );
  }, []);
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
        <Figure label={t('queuedOps')} value="—" note={t('queuedOpsUnavailable')} testId="figure-queued-operations" />
      </SimpleGrid>

      <Paper withBorder p="md" component="section" aria-labelledby="per-hour-title">
        <Title order={3} size="h5" id="per-hour-title" mb="sm">
          {t('enrollmentsPerHour')}
        </Title>
        {perHour.length === 0 ? (
          <Text>{t('none')}</Text>
        ) : (
          <>
            <BarChart h={220} data={perHour} dataKey="hour" type="stacked" withLegend series={carriers.map((c) => ({ name: c, color: SERIES_COLORS[c] ?? 'violet.8' }))} />
            <Table mt="sm" data-testid="enrollments-per-hour" aria-labelledby="per-hour-title">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('hour')}</Table.Th>
                  <Table.Th scope="col">{t('carrier')}</Table.Th>
                  <Table.Th scope="col">{t('count')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
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
      </Paper>

      <Paper withBorder p="md" component="section" aria-labelledby="failures-title">
        <Title order={3} size="h5" id="failures-title" mb="sm">
          {t('failuresByCause')}
        </Title>
        {view.failuresByCause.length === 0 ? (
          <Text data-testid="failures-by-cause">{t('none')}</Text>
        ) : (
          <>
            <BarChart h={200} data={view.failuresByCause.map((x) => ({ cause: `${x.cause} (${x.carrier})`, count: x.count }))} dataKey="cause" series={[{ name: 'count', color: 'red.8' }]} />
            <Table mt="sm" data-testid="failures-by-cause" aria-labelledby="failures-title">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('cause')}</Table.Th>
                  <Table.Th scope="col">{t('carrier')}</Table.Th>
                  <Table.Th scope="col">{t('count')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
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
      </Paper>

      <Paper withBorder p="md" component="section" aria-labelledby="dlq-title">
        <Title order={3} size="h5" id="dlq-title" mb="sm">
          {t('deadLetters')}
        </Title>
        {view.deadLetters.error && <Refusal error={view.deadLetters.error} />}
        {view.deadLetters.recent.length === 0 ? (
          <Text data-testid="dead-letters">{t('none')}</Text>
        ) : (
          <Table.ScrollContainer minWidth={560} scrollAreaProps={KEYBOARD_SCROLLABLE}>
            <Table data-testid="dead-letters" aria-labelledby="dlq-title">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('topic')}</Table.Th>
                  <Table.Th scope="col">{t('cause')}</Table.Th>
                  <Table.Th scope="col">{t('feedType')}</Table.Th>
                  <Table.Th scope="col">{t('feedDetail')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
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
      </Paper>
      <Text size="xs">
        {t('feedRefused')}: <span data-testid="feed-refused">{view.feed.refused}</span>
      </Text>
    </Stack>
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
