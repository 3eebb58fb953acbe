-- Placeholder: version 7 belongs to another change being made in parallel;
-- this file only keeps the versions without a gap until it lands.
SELECT 1;
