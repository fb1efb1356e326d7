import { Badge, Group, Loader, Paper, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import type { CaseView } from '@jpki/contracts';
import { api } from './api';
import { useT } from './i18n';
import { Steps } from './PhonePage';

const POLL_MS = 1000;

/** A case just opened or followed up, polled until it ends (completed or failed), through any wait for the phone to come online. */
export function CaseLive({ initial, onUpdate, onChanged }: { initial: CaseView; onUpdate: (c: CaseView) => void; onChanged: () => void }) {
  const t = useT();
  const [view, setView] = useState<CaseView>(initial);
  const callbacks = useRef({ onUpdate, onChanged });
  callbacks.current = { onUpdate, onChanged };

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastStatus = initial.status;
    const poll = async () => {
      try {
        const c = await api.get<CaseView>(`/api/lifecycle/cases/${initial.caseId}`);
        if (stopped) return;
        setView(c);
        callbacks.current.onUpdate(c);
        if (c.status !== lastStatus && c.status !== 'open') callbacks.current.onChanged();
        lastStatus = c.status;
        // A case waiting for the phone is followed until the phone comes back and it ends.
        if (c.status !== 'open' && c.status !== 'waiting-device') return;
      } catch {
        // keep polling through a transient failure
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    timer = setTimeout(poll, 200);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [initial.caseId]);

  const running = view.status === 'open' || view.status === 'waiting-device';
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="live-title" aria-live="polite" data-testid="live-case" data-case-status={view.status}>
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4" id="live-title">
          {running ? t('liveCase') : t('caseDone')}: {view.kind}
        </Title>
        <Group gap="xs">
          {running && <Loader size="xs" aria-hidden />}
          <Badge color={view.status === 'completed' ? 'green' : view.status === 'failed' ? 'red' : view.status === 'open' ? 'blue' : 'yellow'} data-testid="live-case-status">
            {t(`case.${view.status}`)}
          </Badge>
        </Group>
      </Group>
      <Text size="sm">
        {t('certificate')}: <span data-testid="live-case-certificate">{view.outcomes.certificate}</span>; SIM: {view.outcomes.service}
        {view.step ? ` — ${view.step}` : ''}
      </Text>
      {view.failure && (
        <Text size="sm" c="red">
          {view.failure.reason}: {view.failure.detail}
        </Text>
      )}
      {view.saga && <Steps steps={view.saga.history} />}
    </Paper>
  );
}
