import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes shown as columns in the Web UI's workflow list. The dev server
// registers them at start (ops/infra/temporal.ts); a production cluster needs
// `temporal operator search-attribute create` once (see README).
export const StreamSymbols = defineSearchAttributeKey('StreamSymbols', SearchAttributeType.KEYWORD_LIST);
export const StreamRotation = defineSearchAttributeKey('StreamRotation', SearchAttributeType.INT);
export const StreamState = defineSearchAttributeKey('StreamState', SearchAttributeType.KEYWORD);

/** `Name=Type` as `temporal server start-dev --search-attribute` and the operator command take it. */
export const searchAttributeFlags: string[] = [
  'StreamSymbols=KeywordList',
  'StreamRotation=Int',
  'StreamState=Keyword',
];
