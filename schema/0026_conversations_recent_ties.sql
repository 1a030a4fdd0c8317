-- Conversations are listed newest first with the id breaking ties (list_conversations, the
-- dashboard's inbox). An index on the time alone leaves every conversation sharing one time to
-- be read and sorted (each with its last message looked up) before the first page is known;
-- with the id in the index a page reads only its own rows.
CREATE INDEX conversations_recent_by_id ON conversations(last_message_at DESC, id DESC);
DROP INDEX conversations_recent;
