import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes shown as columns in the Web UI's workflow list. The dev server
// registers them at start (ops/infra/temporal.ts); `k2 stream start` registers them on a
// cluster that lets it (cli/session.ts); the README gives the operator commands.
export const StreamSymbols = defineSearchAttributeKey('StreamSymbols', SearchAttributeType.KEYWORD_LIST);
export const StreamRotation = defineSearchAttributeKey('StreamRotation', SearchAttributeType.INT);
export const StreamState = defineSearchAttributeKey('StreamState', SearchAttributeType.KEYWORD);

export const streamSearchAttributes = [StreamSymbols, StreamRotation, StreamState];

const CLI_TYPES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** `Name=Type` as `temporal server start-dev --search-attribute` takes it. */
export const searchAttributeFlags: string[] = streamSearchAttributes.map((k) => `${k.name}=${CLI_TYPES[k.type]}`);
