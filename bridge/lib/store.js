'use strict';
// The bridge's state in one DynamoDB table: partition key "pk" (string),
// TTL attribute "ttl" (epoch seconds). DynamoDB deletes expired items
// late (hours), so every read checks expiry itself.
//
//   dc#<sha256(device_code)>  a device authorization: user code, client,
//                             host, status pending|approved|denied|done,
//                             interval, next poll time, tokens once approved
//   uc#<USERCODE>             -> the device code's hash (unique user codes)
//   st#<sha256(state)>        one sign-in in flight: device, PKCE verifier,
//                             the browser it belongs to; deleted on use
//   rl#<bucket>#<window>      a rate-limit counter
//
// Device codes and states are stored hashed: a copy of the table does
// not let anyone poll for tokens or finish a sign-in.

const {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  DeleteItemCommand,
} = require('@aws-sdk/client-dynamodb');

function toItem(obj) {
  const item = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'number') item[k] = { N: String(v) };
    else if (typeof v === 'string') item[k] = { S: v };
    else item[k] = { S: JSON.stringify(v) };
  }
  return item;
}

const JSON_FIELDS = new Set(['tokens']);

function fromItem(item) {
  if (!item) return null;
  const out = {};
  for (const [k, v] of Object.entries(item)) {
    if ('N' in v) out[k] = Number(v.N);
    else if ('S' in v) out[k] = JSON_FIELDS.has(k) ? JSON.parse(v.S) : v.S;
  }
  return out;
}

function conditionFailed(err) {
  return err && err.name === 'ConditionalCheckFailedException';
}

class Store {
  constructor(config) {
    const opts = {};
    if (config.dynamodbEndpoint) opts.endpoint = config.dynamodbEndpoint;
    if (config.region) opts.region = config.region;
    this.db = config.dynamodb || new DynamoDBClient(opts);
    this.table = config.tableName;
  }

  async get(pk) {
    const out = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    return fromItem(out.Item);
  }

  // Puts a new item; false when pk is taken.
  async create(obj) {
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: toItem(obj),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  // Deletes pk and returns what it held, or null when it was gone: the
  // one place a single-use value is spent.
  async take(pk) {
    const out = await this.db.send(
      new DeleteItemCommand({
        TableName: this.table,
        Key: { pk: { S: pk } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return fromItem(out.Attributes);
  }

  // SET the fields of `set` (null: REMOVE) if `when` holds; false if not.
  // `when` is {expression, values} with :placeholders.
  async update(pk, set, when) {
    const names = {};
    const values = {};
    const sets = [];
    const removes = [];
    let i = 0;
    for (const [k, v] of Object.entries(set)) {
      const n = `#f${i}`;
      names[n] = k;
      if (v === null) removes.push(n);
      else {
        values[`:v${i}`] = toItem({ x: v }).x;
        sets.push(`${n} = :v${i}`);
      }
      i++;
    }
    let expr = sets.length ? 'SET ' + sets.join(', ') : '';
    if (removes.length) expr += ' REMOVE ' + removes.join(', ');
    const cond = when ? when.expression : 'attribute_exists(pk)';
    for (const [k, v] of Object.entries((when && when.values) || {})) values[k] = toItem({ x: v }).x;
    for (const [k, v] of Object.entries((when && when.names) || {})) names[k] = v;
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: pk } },
          UpdateExpression: expr,
          ConditionExpression: cond,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  // One more hit on a counter; false once it has `max` already.
  async count(pk, max, ttl) {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: pk } },
          UpdateExpression: 'ADD #n :one SET #t = :ttl',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
          ExpressionAttributeNames: { '#n': 'n', '#t': 'ttl' },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: String(max) }, ':ttl': { N: String(ttl) } },
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }
}

module.exports = { Store };
