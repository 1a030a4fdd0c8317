-- A template's quality as Meta last rated it (message_template_quality_update: GREEN, YELLOW,
-- RED, UNKNOWN), shown by list_templates; "" until Meta rates it.
ALTER TABLE templates ADD COLUMN quality_score TEXT NOT NULL DEFAULT '';
