// A thin builder over the ONNX protobuf messages (onnx-buf + @bufbuild/protobuf): nodes with
// generated output names, typed graph inputs/outputs, and initializers that are either inline
// (small) or appended to an external data file (large), as ONNX's external-data convention says.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import type { ExternalDataWriter } from './external-data.js';

export { TensorProto_DataType as DataType } from 'onnx-buf';

/** A float attribute (plain numbers are INT attributes). */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export const float = (v: number): FloatAttr => new FloatAttr(v);
export type AttrValue = number | FloatAttr | string | number[] | GraphProto;

/** Tensors at least this large go to the external data file. */
export const EXTERNAL_THRESHOLD_BYTES = 1024;

function attribute(name: string, v: AttrValue): AttributeProto {
  if (v instanceof FloatAttr) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v.value });
  if (typeof v === 'string')
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(v) });
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer (use float())`);
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(v) });
  }
  if (Array.isArray(v))
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: v.map((x) => BigInt(x)) });
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.GRAPH, g: v });
}

export function valueInfo(name: string, elemType: TensorProto_DataType, dims: Array<number | string>): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
              }),
            ),
          }),
        }),
      },
    }),
  });
}

type TypedData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

function bytesOf(data: TypedData): Uint8Array<ArrayBuffer> {
  return new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private counter = 0;
  private names = new Set<string>();

  constructor(private readonly external: ExternalDataWriter | null = null) {}

  private unique(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: TensorProto_DataType, dims: Array<number | string>): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: TensorProto_DataType, dims: Array<number | string>): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /**
   * Adds a node. `outputs` is either explicit names or a count of generated names
   * (prefixed by `name`). Returns the output names.
   */
  node(
    opType: string,
    inputs: string[],
    opts: { name: string; outputs?: number | string[]; attrs?: Record<string, AttrValue>; domain?: string },
  ): string[] {
    const nodeName = this.unique(opts.name);
    const outs =
      typeof opts.outputs === 'object'
        ? opts.outputs
        : Array.from({ length: opts.outputs ?? 1 }, (_, i) => this.unique(`${nodeName}/out${i}`));
    for (const o of outs) this.names.add(o);
    this.nodes.push(
      create(NodeProtoSchema, {
        name: nodeName,
        opType,
        domain: opts.domain ?? '',
        input: inputs,
        output: outs,
        attribute: Object.entries(opts.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outs;
  }

  /** Single-output node; returns its output name. */
  op(opType: string, inputs: string[], name: string, attrs?: Record<string, AttrValue>, domain?: string): string {
    return this.node(opType, inputs, { name, attrs: attrs ?? {}, domain: domain ?? '' })[0] as string;
  }

  /** An inline initializer (small constants). */
  constant(name: string, dataType: TensorProto_DataType, dims: number[], data: TypedData): string {
    const n = this.unique(name);
    this.initializers.push(
      create(TensorProtoSchema, { name: n, dataType, dims: dims.map((d) => BigInt(d)), rawData: bytesOf(data).slice() }),
    );
    return n;
  }

  i64(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.constant(name, TensorProto_DataType.INT64, dims, BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** A weight: inline below the threshold, else appended to the external data file. */
  async weight(name: string, dataType: TensorProto_DataType, dims: number[], data: TypedData): Promise<string> {
    if (!this.external || data.byteLength < EXTERNAL_THRESHOLD_BYTES) return this.constant(name, dataType, dims, data);
    const n = this.unique(name);
    const { offset, length } = await this.external.append(bytesOf(data));
    const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
    this.initializers.push(
      create(TensorProtoSchema, {
        name: n,
        dataType,
        dims: dims.map((d) => BigInt(d)),
        dataLocation: TensorProto_DataLocation.EXTERNAL,
        externalData: [
          entry('location', this.external.location),
          entry('offset', String(offset)),
          entry('length', String(length)),
        ],
      }),
    );
    return n;
  }

  graph(name: string): GraphProto {
    return create(GraphProtoSchema, {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    });
  }
}

export interface ModelOptions {
  irVersion: number;
  opsets: Record<string, number>;
  producer: string;
  metadata?: Record<string, string>;
}

export function serializeModel(graph: GraphProto, o: ModelOptions): Uint8Array {
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(o.irVersion),
    producerName: o.producer,
    opsetImport: Object.entries(o.opsets).map(([domain, version]) =>
      create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }),
    ),
    graph,
    metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
  });
  return toBinary(ModelProtoSchema, model);
}
