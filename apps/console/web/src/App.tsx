import { Alert, Badge, Box, Button, Container, Group, PasswordInput, Paper, SegmentedControl, Select, Stack, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, type SearchKey, type Session } from './api';
import { LangProvider, useT, type Lang } from './i18n';
import { Dashboard } from './Dashboard';
import { LiveFeed } from './LiveFeed';
import { PhonePage } from './PhonePage';

const initialLang = (): Lang => {
  const saved = localStorage.getItem('console.lang');
  if (saved === 'en' || saved === 'ja') return saved;
  return navigator.language.startsWith('ja') ? 'ja' : 'en';
};

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  useEffect(() => {
    document.documentElement.lang = lang;
    localStorage.setItem('console.lang', lang);
  }, [lang]);

  useEffect(() => {
    api.get<Session>('/api/session').then(setSession, () => setSession(null));
  }, []);

  return (
    <LangProvider lang={lang}>
      <Shell lang={lang} setLang={setLang} session={session} setSession={setSession} />
    </LangProvider>
  );
}

function Shell({ lang, setLang, session, setSession }: { lang: Lang; setLang: (l: Lang) => void; session: Session | null | undefined; setSession: (s: Session | null) => void }) {
  const t = useT();
  const signOut = async () => {
    await api.del('/api/session').catch(() => undefined);
    setSession(null);
  };
  return (
    <>
      <Box component="header" px="md" py={8} style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }}>
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Group gap="xs">
            <Title order={1} size="h4">
              {t('appTitle')}
            </Title>
            <Badge color="gray" variant="light">
              {t('simulation')}
            </Badge>
          </Group>
          <Group gap="xs" wrap="wrap">
            <SegmentedControl
              aria-label={t('language')}
              size="xs"
              value={lang}
              onChange={(v) => setLang(v as Lang)}
              data={[
                { value: 'en', label: 'English' },
                { value: 'ja', label: '日本語' },
              ]}
            />
            {session && (
              <>
                <Text size="sm" data-testid="signed-in-user">
                  {session.displayName}
                </Text>
                {session.roles.map((r) => (
                  <Badge key={r} variant="outline" aria-label={`${t('roles')}: ${r}`}>
                    {r}
                  </Badge>
                ))}
                <Badge color={session.carrier ? 'grape.9' : 'teal.9'} aria-label={`${t('carrierScope')}: ${session.carrier ?? t('allCarriers')}`} data-testid="carrier-scope">
                  {session.carrier ?? t('allCarriers')}
                </Badge>
                <Button size="xs" variant="default" onClick={signOut}>
                  {t('signOut')}
                </Button>
              </>
            )}
          </Group>
        </Group>
      </Box>
      <Box component="main" p={{ base: 'xs', sm: 'md' }}>
        <Container size="lg" px={0}>
          {session === undefined ? <Text>{t('loading')}</Text> : session === null ? <SignIn onSignedIn={setSession} /> : <Workspace session={session} />}
        </Container>
      </Box>
    </>
  );
}

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const t = useT();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.post<Session>('/api/session', { username, password }));
    } catch (err) {
      setError(err instanceof ApiError ? `${err.reason}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Paper withBorder p="lg" maw={420} mx="auto" mt="xl" component="form" onSubmit={submit} aria-labelledby="sign-in-title">
      <Stack>
        <Title order={2} id="sign-in-title">
          {t('signInTitle')}
        </Title>
        <TextInput label={t('username')} value={username} onChange={(e) => setUsername(e.currentTarget.value)} autoComplete="username" required autoFocus />
        <PasswordInput label={t('password')} value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" required error={error} />
        <Button type="submit" loading={busy}>
          {t('signIn')}
        </Button>
      </Stack>
    </Paper>
  );
}

function Workspace({ session }: { session: Session }) {
  const t = useT();
  const [query, setQuery] = useState<{ key: SearchKey; value: string } | null>(null);
  const [tab, setTab] = useState<string | null>('search');
  return (
    <Tabs value={tab} onChange={setTab} keepMounted>
      <Tabs.List mb="md">
        <Tabs.Tab value="search">{t('tab.search')}</Tabs.Tab>
        <Tabs.Tab value="feed">{t('tab.feed')}</Tabs.Tab>
        <Tabs.Tab value="dashboard">{t('tab.dashboard')}</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="search">
        <Stack>
          <SearchForm onFound={setQuery} />
          {query && <PhonePage key={`${query.key}=${query.value}`} session={session} query={query} onSearch={setQuery} />}
        </Stack>
      </Tabs.Panel>
      <Tabs.Panel value="feed">
        <LiveFeed />
      </Tabs.Panel>
      <Tabs.Panel value="dashboard">
        {tab === 'dashboard' && <Dashboard session={session} />}
      </Tabs.Panel>
    </Tabs>
  );
}

function SearchForm({ onFound }: { onFound: (q: { key: SearchKey; value: string } | null) => void }) {
  const t = useT();
  const [key, setKey] = useState<SearchKey>('msisdn');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const v = value.trim();
    if (!v) return;
    setBusy(true);
    setError(null);
    try {
      await api.get(`/api/lifecycle/phones?${new URLSearchParams({ [key]: v })}`);
      onFound({ key, value: v });
    } catch (err) {
      // The API's precise reason, next to the field; nothing else changes.
      setError(err instanceof ApiError ? `${err.reason}: ${err.message}${err.detailText ? ` (${err.detailText})` : ''}` : String(err));
      onFound(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} role="search" aria-labelledby="search-title">
      <Title order={2} size="h4" id="search-title" mb="xs">
        {t('searchTitle')}
      </Title>
      <Group align="flex-start" wrap="wrap">
        <Select
          label={t('searchBy')}
          value={key}
          onChange={(v) => v && setKey(v as SearchKey)}
          allowDeselect={false}
          data={(['msisdn', 'iccid', 'imei', 'serial', 'personId', 'enrollmentId'] as const).map((k) => ({ value: k, label: t(`key.${k}`) }))}
          w={{ base: '100%', sm: 240 }}
        />
        <TextInput label={t('searchValue')} value={value} onChange={(e) => setValue(e.currentTarget.value)} required error={error} w={{ base: '100%', sm: 420 }} data-testid="search-value" />
        <Button type="submit" loading={busy} mt={{ base: 0, sm: 25 }}>
          {t('search')}
        </Button>
      </Group>
    </Paper>
  );
}

export function Refusal({ error }: { error: unknown }) {
  const t = useT();
  const text = error instanceof ApiError ? `${error.status} ${error.reason}: ${error.message}${error.detailText ? ` (${error.detailText})` : ''}` : String(error);
  return (
    <Alert color="red" title={t('refused')} role="alert" data-testid="refusal">
      {text}
    </Alert>
  );
}
