import { Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { FeedEvent } from '../../src/feed-event';
import { useT } from './i18n';
import { KEYBOARD_SCROLLABLE } from './PhonePage';

const MAX_SHOWN = 100;

/** The live event feed: server-sent events from the console server, newest first, in the user's carrier scope. */
export function LiveFeed() {
  const t = useT();
  const [events, setEvents] = useState<FeedEvent[]>([]);
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    const source = new EventSource('/api/events');
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.addEventListener('platform', (m) => {
      const e = JSON.parse((m as MessageEvent<string>).data) as FeedEvent;
      setEvents((prev) => (prev.some((p) => p.id === e.id) ? prev : [e, ...prev].slice(0, MAX_SHOWN)));
    });
    return () => source.close();
  }, []);

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="feed-title" data-testid="live-feed" data-connected={connected}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={2} size="h4" id="feed-title">
            {t('feedTitle')}
          </Title>
          <Badge color={connected ? 'teal.9' : 'gray.8'} role="status" data-testid="feed-status">
            {connected ? t('feedConnected') : t('feedConnecting')}
          </Badge>
        </Group>
        <Text size="sm">{t('feedHelp')}</Text>
        {events.length === 0 ? (
          <Text>{t('feedEmpty')}</Text>
        ) : (
          <Table.ScrollContainer minWidth={560} scrollAreaProps={KEYBOARD_SCROLLABLE}>
            <Table striped aria-labelledby="feed-title" data-testid="feed-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('feedTime')}</Table.Th>
                  <Table.Th scope="col">{t('feedType')}</Table.Th>
                  <Table.Th scope="col">{t('feedCarrier')}</Table.Th>
                  <Table.Th scope="col">{t('feedDetail')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {events.map((e) => (
                  <Table.Tr key={e.id} data-testid="feed-event" data-event-type={e.type}>
                    <Table.Td>{new Date(e.occurredAt).toLocaleTimeString()}</Table.Td>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {e.type}
                      </Text>
                    </Table.Td>
                    <Table.Td>{e.carrier ?? '—'}</Table.Td>
                    <Table.Td>
                      <Text size="sm" style={{ wordBreak: 'break-all' }}>
                        {Object.entries(e.fields)
                          .map(([k, v]) => `${k}=${v}`)
                          .join(' ')}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Paper>
  );
}
