//! Writes the JSON schema of the market's messages into ./schema (run through scripts/schema.sh,
//! which puts it into schema/market/), and the cw20 hook (`ReceiveMsg`, the `msg` of a cw20
//! `send` to the market) into ./schema/raw/receive_msg.json, beside the other raw message schemas:
//! the TypeScript client (scripts/client.sh) builds its typed `send` hooks from it.
use cosmwasm_schema::{export_schema, schema_for, write_api};
use keel_types::market::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, ReceiveMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
    let raw = std::env::current_dir()
        .expect("the current directory")
        .join("schema")
        .join("raw");
    export_schema(&schema_for!(ReceiveMsg), &raw);
}
