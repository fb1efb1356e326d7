import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type AclEntry, type Admin, type DescribeAclResource, type Kafka } from 'kafkajs';
import { kafkaGrants, physicalTopics, type KafkaGrant } from '@jpki/contracts';

interface Bootstrap {
  created: string[];
  existing: number;
  /** ACL entries the broker now holds for this prefix, or 'broker-without-authorizer' (a broker run without one). */
  acls: number | 'broker-without-authorizer';
}

/**
 * Creates every declared topic (with retry and dead-letter companions) that does not exist yet, and grants each
 * service principal the ACLs the contracts declare for this prefix (kafkaGrants). Idempotent; the broker's
 * auto-create is off, so this is the only way topics come to be.
 */
export async function ensureTopics(kafka: Kafka, prefix: string, attempts = 10): Promise<Bootstrap> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createMissing(kafka, prefix);
    } catch (err) {
      // A broker busy deleting or electing leaders answers with retriable errors for a moment.
      if (attempt >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((r) => setTimeout(r, 300 * attempt));
    }
  }
}

async function createMissing(kafka: Kafka, prefix: string): Promise<Bootstrap> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = physicalTopics(prefix).filter((t) => !existing.has(t.name));
    if (wanted.length > 0) {
      // kafkajs retries only LEADER_NOT_AVAILABLE while waiting for leaders; poll metadata instead.
      await admin.createTopics({
        waitForLeaders: false,
        topics: wanted.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1 })),
      });
      await waitForLeaders(admin, wanted.map((t) => t.name));
    }
    return { created: wanted.map((t) => t.name), existing: existing.size, acls: await grantAcls(admin, prefix) };
  } finally {
    await admin.disconnect();
  }
}

const RESOURCE = { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP } as const;
const PATTERN = { literal: ResourcePatternTypes.LITERAL, prefixed: ResourcePatternTypes.PREFIXED } as const;

function aclEntry(g: KafkaGrant): AclEntry {
  return {
    resourceType: RESOURCE[g.resource],
    resourceName: g.name,
    resourcePatternType: PATTERN[g.pattern],
    principal: `User:${g.principal}`,
    host: '*',
    operation: AclOperationTypes[g.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/**
 * Creating an ACL the broker already has changes nothing, so this runs at every bootstrap. The controller commits
 * the ACLs before the broker's authorizer sees them: this returns once the broker lists them all.
 */
async function grantAcls(admin: Admin, prefix: string, timeoutMs = 15_000): Promise<Bootstrap['acls']> {
  const acl = kafkaGrants(prefix).map(aclEntry);
  try {
    await admin.createAcls({ acl });
  } catch (err) {
    if ((err as { type?: string }).type === 'SECURITY_DISABLED') return 'broker-without-authorizer';
    throw err;
  }
  const key = (e: AclEntry) => [e.resourceType, e.resourceName, e.resourcePatternType, e.principal, e.operation].join(' ');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listed = new Set((await describeAll(admin)).flatMap((r) => r.acls.map((a) => key({ ...r, ...a }))));
    if (acl.every((e) => listed.has(key(e)))) return acl.length;
    if (Date.now() > deadline) throw new Error(`the broker does not list the ACLs of prefix "${prefix}" after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function describeAll(admin: Admin): Promise<DescribeAclResource[]> {
  const all = { resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY };
  try {
    return (await admin.describeAcls(all)).resources;
  } catch (err) {
    if ((err as { type?: string }).type === 'SECURITY_DISABLED') return [];
    throw err;
  }
}

/** The ACLs naming resources of this prefix, so that a removed environment leaves none behind. */
async function revokeAcls(admin: Admin, prefix: string): Promise<void> {
  const filters = (await describeAll(admin))
    .filter((r) => r.resourceName.startsWith(prefix))
    .map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.resourcePatternType, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }));
  if (filters.length > 0) await admin.deleteAcls({ filters });
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics without leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes every topic with the prefix and the ACLs naming them, and waits until the broker no longer lists them. */
export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string, timeoutMs = 30_000): Promise<number> {
  if (!prefix) throw new Error('refusing to delete topics without a prefix');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const prefixed = async () => (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    const topics = await prefixed();
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: timeoutMs });
    await revokeAcls(admin, prefix);
    const deadline = Date.now() + timeoutMs;
    while ((await prefixed()).length > 0) {
      if (Date.now() > deadline) throw new Error(`topics with prefix ${prefix} still listed after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return topics.length;
  } finally {
    await admin.disconnect();
  }
}
