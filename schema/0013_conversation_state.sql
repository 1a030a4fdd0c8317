-- What people and assistants note on a conversation here (update_conversation, the dashboard):
-- a free-text note, labels, and "marked unread" (a reminder to come back, as WhatsApp's own
-- "mark as unread"; unread_count still counts the inbound messages nobody has read). Meta knows
-- nothing of it. Archiving uses conversations.archived.
ALTER TABLE conversations ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0;

-- Labels as rows, so list_conversations can filter by one with an index. A label is stored as
-- written; two labels of a conversation never differ only in ASCII case (checked on write).
CREATE TABLE conversation_labels (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (conversation_id, label)
) STRICT;
CREATE INDEX conversation_labels_label ON conversation_labels(label, conversation_id);
