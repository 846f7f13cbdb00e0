//! A test draw-down sink: a cw20 receiver that records every `Cw20ReceiveMsg` it gets (the
//! token that called it, `sender`, `amount`, `msg`) and lists them on query. Plain functions,
//! wrapped with `ContractWrapper` by `sink_contract()`.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult,
    Uint128,
};
use cw20::Cw20ReceiveMsg;
use cw_multi_test::{Contract, ContractWrapper};
use cw_storage_plus::Item;

/// One cw20 `send` received.
#[cw_serde]
pub struct Received {
    /// The cw20 token contract that delivered it (`info.sender`).
    pub token: Addr,
    /// Who sent the tokens (`Cw20ReceiveMsg.sender`).
    pub sender: String,
    pub amount: Uint128,
    pub msg: Binary,
}

#[cw_serde]
pub enum SinkExecuteMsg {
    Receive(Cw20ReceiveMsg),
}

#[cw_serde]
pub enum SinkQueryMsg {
    /// Every receipt, oldest first: `Vec<Received>`.
    Received {},
}

const RECEIVED: Item<Vec<Received>> = Item::new("received");

pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    _msg: Empty,
) -> StdResult<Response> {
    RECEIVED.save(deps.storage, &vec![])?;
    Ok(Response::new())
}

pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: SinkExecuteMsg,
) -> StdResult<Response> {
    let SinkExecuteMsg::Receive(r) = msg;
    let mut all = RECEIVED.may_load(deps.storage)?.unwrap_or_default();
    all.push(Received {
        token: info.sender,
        sender: r.sender,
        amount: r.amount,
        msg: r.msg,
    });
    RECEIVED.save(deps.storage, &all)?;
    Ok(Response::new().add_attribute("action", "sink_received"))
}

pub fn query(deps: Deps, _env: Env, msg: SinkQueryMsg) -> StdResult<Binary> {
    match msg {
        SinkQueryMsg::Received {} => {
            to_json_binary(&RECEIVED.may_load(deps.storage)?.unwrap_or_default())
        }
    }
}

pub fn sink_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(execute, instantiate, query))
}
