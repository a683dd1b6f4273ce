// One conversation's state for a page: joined through @confab/client, history paged over
// REST (newest first), live messages merged by id (so a gap fill or a history page never
// shows a message twice), optimistic sends reconciled by `clientMsgId`, typing, presence and
// read receipts.
import type { Message, ReadReceipt, SearchHit } from "@confab/client";

export interface PendingMessage {
  clientMsgId: string;
  content: string;
  state: "sending" | "failed";
  error?: string;
}

interface Participant {
  userId: string;
  role: string;
  lastReadSeq: number;
}

const PAGE = 30;
/** Drop a typing indicator nobody stopped (a lost `typing:stop`). */
const TYPING_TTL_MS = 8000;

export function useConversation(conversationId: string) {
  const { requireClient, session, client: current } = useConfab();
  const me = computed(() => session.value?.userId);

  const title = ref<string | null>(null);
  const status = ref<string>("active");
  const messages = ref<Message[]>([]);
  const pending = ref<PendingMessage[]>([]);
  const hasMore = ref(true);
  const loadingOlder = ref(false);
  const ready = ref(false);
  const error = ref<string | null>(null);
  const participants = ref<Participant[]>([]);
  /** Users typing now, each with the timer that drops them. */
  const typing = reactive(new Map<string, ReturnType<typeof setTimeout>>());
  /** The highest `seq` each participant has read. */
  const readSeq = reactive(new Map<string, number>());
  const unsubscribe: (() => void)[] = [];
  let lastMarked = 0;

  function upsert(m: Message) {
    const list = messages.value;
    const at = list.findIndex((x) => x.id === m.id);
    if (at >= 0) {
      list[at] = m;
    } else {
      // Keep `seq` order: live messages land at the end, history pages at the front.
      let i = list.length;
      while (i > 0 && list[i - 1]!.seq > m.seq) i--;
      list.splice(i, 0, m);
    }
    if (m.clientMsgId) pending.value = pending.value.filter((p) => p.clientMsgId !== m.clientMsgId);
    if (m.senderId !== me.value) stopTyping(m.senderId);
  }

  function stopTyping(userId: string) {
    const t = typing.get(userId);
    if (t) clearTimeout(t);
    typing.delete(userId);
  }

  function onRead(r: ReadReceipt) {
    const m = messages.value.find((x) => x.id === r.messageId);
    if (m && (readSeq.get(r.userId) ?? 0) < m.seq) readSeq.set(r.userId, m.seq);
  }

  async function open() {
    const client = requireClient();
    unsubscribe.push(
      client.on("message", (m) => {
        if (m.conversationId !== conversationId) return;
        upsert(m);
        markReadSoon();
      }),
      client.on("messageUpdated", (m) => m.conversationId === conversationId && upsert(m)),
      client.on("messageDeleted", (e) => {
        if (e.conversationId !== conversationId) return;
        const m = messages.value.find((x) => x.id === e.messageId);
        if (m) upsert({ ...m, content: "", deletedAt: new Date().toISOString() });
      }),
      client.on("typing", (e) => {
        if (e.conversationId !== conversationId || e.userId === me.value) return;
        stopTyping(e.userId);
        if (e.isTyping) typing.set(e.userId, setTimeout(() => typing.delete(e.userId), TYPING_TTL_MS));
      }),
      client.on("read", (r) => r.conversationId === conversationId && onRead(r)),
    );
    try {
      const joined = await client.join(conversationId);
      title.value = joined.conversation.title ?? null;
      status.value = joined.conversation.status;
      const [page, people] = await Promise.all([
        client.rest.messages(conversationId, { limit: PAGE }),
        client.rest.request("get", "/conversations/{id}/participants", { params: { id: conversationId } }),
      ]);
      for (const m of page.messages) upsert(m);
      hasMore.value = page.hasMore;
      participants.value = people.participants as Participant[];
      for (const p of participants.value) readSeq.set(p.userId, Math.max(readSeq.get(p.userId) ?? 0, p.lastReadSeq));
      lastMarked = readSeq.get(me.value ?? "") ?? 0;
      ready.value = true;
      markReadSoon();
    } catch (e) {
      error.value = errorText(e);
    }
  }

  async function loadOlder() {
    const oldest = messages.value[0];
    if (!hasMore.value || loadingOlder.value || !oldest) return;
    loadingOlder.value = true;
    try {
      const page = await requireClient().rest.messages(conversationId, { limit: PAGE, before: oldest.id });
      for (const m of page.messages) upsert(m);
      hasMore.value = page.hasMore;
    } catch (e) {
      error.value = errorText(e);
    } finally {
      loadingOlder.value = false;
    }
  }

  let markTimer: ReturnType<typeof setTimeout> | null = null;
  /** Marks the newest message read while the page is visible (coalesced). */
  function markReadSoon() {
    if (markTimer) return;
    markTimer = setTimeout(() => {
      markTimer = null;
      const newest = messages.value.at(-1);
      if (!newest || newest.seq <= lastMarked || document.visibilityState !== "visible") return;
      lastMarked = newest.seq;
      requireClient()
        .markRead(newest.id)
        .then(() => readSeq.set(me.value ?? "", Math.max(readSeq.get(me.value ?? "") ?? 0, newest.seq)))
        .catch((e) => (error.value = errorText(e)));
    }, 300);
  }

  /** Shows the message at once; the stored copy replaces it when the server has it. */
  async function send(content: string, fileIds: string[] = []) {
    const clientMsgId = crypto.randomUUID();
    pending.value.push({ clientMsgId, content, state: "sending" });
    try {
      upsert(await requireClient().send(conversationId, { content, clientMsgId, fileIds }));
    } catch (e) {
      const p = pending.value.find((x) => x.clientMsgId === clientMsgId);
      if (p) Object.assign(p, { state: "failed", error: errorText(e) });
    }
  }

  function discard(clientMsgId: string) {
    pending.value = pending.value.filter((p) => p.clientMsgId !== clientMsgId);
  }

  async function upload(file: File, caption: string) {
    const uploaded = await requireClient().rest.upload(conversationId, file, file.name);
    await send(caption || file.name, [uploaded.fileId]);
  }

  const edit = async (id: string, content: string) => upsert(await requireClient().rest.editMessage(id, content));
  const remove = (id: string) => requireClient().rest.deleteMessage(id);
  async function toggleReaction(m: Message, emoji: string) {
    const mine = m.metadata.reactions?.[emoji]?.includes(me.value ?? "");
    const rest = requireClient().rest;
    upsert(await (mine ? rest.unreact(m.id, emoji) : rest.react(m.id, emoji)));
  }
  const report = (id: string, reason: string, description?: string) =>
    requireClient().rest.report(id, description ? { reason, description } : { reason });
  const search = (q: string): Promise<SearchHit[]> => requireClient().rest.search(conversationId, q);
  const setTyping = (isTyping: boolean) => requireClient().typing(conversationId, isTyping);

  /** Who (other than the sender) has read message `m`. */
  function readers(m: Message): string[] {
    return participants.value.map((p) => p.userId).filter((u) => u !== m.senderId && (readSeq.get(u) ?? 0) >= m.seq);
  }

  onMounted(open);
  onBeforeUnmount(() => {
    for (const off of unsubscribe.splice(0)) off();
    for (const t of typing.values()) clearTimeout(t);
    if (markTimer) clearTimeout(markTimer);
    current.value?.leave(conversationId).catch(() => {});
  });

  return {
    title, status, messages, pending, hasMore, loadingOlder, ready, error, participants, typing, readSeq,
    loadOlder, send, discard, upload, edit, remove, toggleReaction, report, search, setTyping, readers,
  };
}
