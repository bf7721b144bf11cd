import type { JsonObject } from '../store/store.ts';

/** google.protobuf.Value as proto-loader decodes it (`oneofs: true`: `kind` names the field that is set). */
export interface ProtoValue {
  kind?: 'nullValue' | 'numberValue' | 'stringValue' | 'boolValue' | 'structValue' | 'listValue';
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct | null;
  listValue?: { values?: ProtoValue[] } | null;
}

/** google.protobuf.Struct: a JSON object, one Value per key. */
export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

/** A JSON value as a google.protobuf.Value. */
function toValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value as JsonObject) };
}

export function toStruct(object: JsonObject): ProtoStruct {
  return { fields: Object.fromEntries(Object.entries(object).map(([key, value]) => [key, toValue(value)])) };
}

function fromValue(value: ProtoValue): unknown {
  switch (value.kind) {
    case 'numberValue':
      return value.numberValue;
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'structValue':
      return fromStruct(value.structValue);
    case 'listValue':
      return (value.listValue?.values ?? []).map(fromValue);
    default:
      // nullValue, or a Value with nothing set, which protobuf's JSON mapping also reads as null.
      return null;
  }
}

/**
 * A google.protobuf.Struct as the JSON object it stands for; an absent one is an empty object. Keys are
 * copied as data (Object.fromEntries), so a `__proto__` field stays an ordinary key.
 */
export function fromStruct(struct: ProtoStruct | null | undefined): JsonObject {
  return Object.fromEntries(Object.entries(struct?.fields ?? {}).map(([key, value]) => [key, fromValue(value)]));
}
