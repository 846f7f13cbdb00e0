//! `liquidate` with native funds and through cw20 `send`.
use cosmwasm_std::{coin, coins, to_json_binary, BankMsg, CosmosMsg, Uint128, WasmMsg};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use keel_types::liquidator::{ExecuteMsg, ReceiveMsg};
use keel_types::market::{ExecuteMsg as MarketExecuteMsg, ReceiveMsg as MarketReceiveMsg};

use super::*;

/// 0.187272727272727272 ETH: floor(200 * 1.03 / 1100 * 1e18).
const WORKED_SEIZE: u128 = 187_272_727_272_727_272;

fn liquidate_msg(debt_denom: &str, min_collateral_out: Option<u128>) -> ExecuteMsg {
    ExecuteMsg::Liquidate {
        position_id: POSITION,
        debt_denom: debt_denom.to_string(),
        collateral_denom: ETH.to_string(),
        min_collateral_out: min_collateral_out.map(Uint128::new),
    }
}

fn seize_msg(debt_denom: &str, repay: u128, seize: u128) -> MarketExecuteMsg {
    MarketExecuteMsg::Seize {
        position_id: POSITION,
        debt_denom: debt_denom.to_string(),
        repay_amount: Uint128::new(repay),
        collateral_denom: ETH.to_string(),
        collateral_amount: Uint128::new(seize),
        recipient: addr("bot").to_string(),
    }
}

fn native_seize(repay: u128, seize: u128) -> CosmosMsg {
    WasmMsg::Execute {
        contract_addr: addr("market").to_string(),
        msg: to_json_binary(&seize_msg(MOET, repay, seize)).unwrap(),
        funds: coins(repay, MOET),
    }
    .into()
}

fn native_refund(amount: u128) -> CosmosMsg {
    BankMsg::Send {
        to_address: addr("bot").to_string(),
        amount: coins(amount, MOET),
    }
    .into()
}

fn msgs(res: &Response) -> Vec<CosmosMsg> {
    res.messages.iter().map(|m| m.msg.clone()).collect()
}

fn liquidate_native(deps: &mut Deps, sent: u128) -> Result<Response, ContractError> {
    exec(
        deps,
        &addr("bot"),
        &coins(sent, MOET),
        liquidate_msg(MOET, None),
    )
}

#[test]
fn worked_example_repays_close_factor_share_and_seizes_collateral_with_bonus() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let res = liquidate_native(&mut deps, 200_000_000).unwrap();

    // Exactly max_repay sent: no refund, one seize carrying the repayment.
    assert_eq!(msgs(&res), vec![native_seize(200_000_000, WORKED_SEIZE)]);
    assert_eq!(attr(&res, "action"), "liquidate");
    assert_eq!(attr(&res, "position_id"), "7");
    assert_eq!(attr(&res, "debt_denom"), MOET);
    assert_eq!(attr(&res, "repay_amount"), "200000000");
    assert_eq!(attr(&res, "collateral_denom"), ETH);
    assert_eq!(attr(&res, "collateral_amount"), "187272727272727272");
    assert_eq!(attr(&res, "refund"), "0");
    assert_eq!(attr(&res, "liquidator"), addr("bot").as_str());
}

#[test]
fn excess_over_max_repay_is_refunded_to_the_caller() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let res = liquidate_native(&mut deps, 500_000_000).unwrap();

    assert_eq!(
        msgs(&res),
        vec![
            native_refund(300_000_000),
            native_seize(200_000_000, WORKED_SEIZE)
        ]
    );
    assert_eq!(attr(&res, "refund"), "300000000");
}

#[test]
fn smaller_repayment_than_max_is_used_in_full() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let res = liquidate_native(&mut deps, 50_000_000).unwrap();
    // floor(50 * 1.03 / 1100 * 1e18)
    assert_eq!(
        msgs(&res),
        vec![native_seize(50_000_000, 46_818_181_818_181_818)]
    );
}

#[test]
fn seize_is_capped_at_the_collateral_and_repay_recomputed_rounding_up() {
    // 0.1 ETH (110 MOET) of collateral: 200 MOET would buy 0.187 ETH, more than there is.
    let mut ctx = worked_context();
    ctx.collateral_amount = Uint128::new(100_000_000_000_000_000);
    let mut deps = setup(MarketMock::new(MOET, ctx));
    let res = liquidate_native(&mut deps, 200_000_000).unwrap();

    // repay = ceil(0.1 * 1100 / 1.03 * 1e6) = ceil(106_796_116.50...) = 106_796_117
    assert_eq!(
        msgs(&res),
        vec![
            native_refund(200_000_000 - 106_796_117),
            native_seize(106_796_117, 100_000_000_000_000_000)
        ]
    );
}

#[test]
fn debt_that_would_be_left_as_dust_is_repaid_in_full() {
    // 12 MOET: a 20% repay would leave 9.6 MOET, below the 10 MOET dust value.
    let mut ctx = worked_context();
    ctx.debt_amount = Uint128::new(12_000_000);
    let mut deps = setup(MarketMock::new(MOET, ctx));
    let res = liquidate_native(&mut deps, 20_000_000).unwrap();

    // floor(12 * 1.03 / 1100 * 1e18)
    assert_eq!(
        msgs(&res),
        vec![
            native_refund(8_000_000),
            native_seize(12_000_000, 11_236_363_636_363_636)
        ]
    );
}

#[test]
fn market_maximums_cap_the_liquidators_own_factors() {
    let mut ctx = worked_context();
    ctx.max_close_factor = dec("0.1");
    ctx.max_liquidation_bonus = dec("0.01");
    let mut deps = setup(MarketMock::new(MOET, ctx));
    let res = liquidate_native(&mut deps, 500_000_000).unwrap();

    // repay = 10% of 1000; seize = floor(100 * 1.01 / 1100 * 1e18)
    assert_eq!(
        msgs(&res),
        vec![
            native_refund(400_000_000),
            native_seize(100_000_000, 91_818_181_818_181_818)
        ]
    );
}

#[test]
fn own_factors_apply_when_below_the_market_maximums() {
    let mut deps = setup_with(
        MarketMock::new(MOET, worked_context()),
        Some(dec("0.5")),
        Some(dec("0.1")),
    );
    let res = liquidate_native(&mut deps, 1_000_000_000).unwrap();
    // repay = 50% of 1000; seize = floor(500 * 1.1 / 1100 * 1e18) = 0.5 ETH
    assert_eq!(
        msgs(&res),
        vec![
            native_refund(500_000_000),
            native_seize(500_000_000, 500_000_000_000_000_000)
        ]
    );
}

#[test]
fn collateral_out_below_min_collateral_out_is_rejected() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &coins(200_000_000, MOET),
        liquidate_msg(MOET, Some(WORKED_SEIZE + 1)),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ContractError::SlippageExceeded {
            collateral_out: Uint128::new(WORKED_SEIZE),
            min_collateral_out: Uint128::new(WORKED_SEIZE + 1),
        }
    );
}

#[test]
fn collateral_out_equal_to_min_collateral_out_is_accepted() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let res = exec(
        &mut deps,
        &addr("bot"),
        &coins(200_000_000, MOET),
        liquidate_msg(MOET, Some(WORKED_SEIZE)),
    )
    .unwrap();
    assert_eq!(attr(&res, "collateral_amount"), WORKED_SEIZE.to_string());
}

#[test]
fn healthy_position_is_not_liquidatable() {
    let mut ctx = worked_context();
    ctx.liquidatable = false;
    ctx.liquidation_health_factor = Some(dec256("1.2"));
    let mut deps = setup(MarketMock::new(MOET, ctx));
    let err = liquidate_native(&mut deps, 200_000_000).unwrap_err();
    assert_eq!(
        err,
        ContractError::NotLiquidatable {
            position_id: POSITION
        }
    );
}

#[test]
fn position_without_debt_in_the_denom_fails_with_zero_repay() {
    let mut ctx = worked_context();
    ctx.debt_amount = Uint128::zero();
    let mut deps = setup(MarketMock::new(MOET, ctx));
    let err = liquidate_native(&mut deps, 200_000_000).unwrap_err();
    assert_eq!(
        err,
        ContractError::ZeroRepay {
            position_id: POSITION
        }
    );
}

#[test]
fn repayment_too_small_to_buy_one_collateral_unit_fails() {
    // A whole-unit collateral (0 decimals) at 1100: 1 micro-MOET buys nothing.
    let mut ctx = worked_context();
    ctx.collateral_decimals = 0;
    ctx.collateral_amount = Uint128::new(5);
    let mut deps = setup(MarketMock::new(MOET, ctx));
    let err = liquidate_native(&mut deps, 1).unwrap_err();
    assert_eq!(
        err,
        ContractError::ZeroCollateralOut {
            position_id: POSITION
        }
    );
}

#[test]
fn no_funds_is_rejected() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let err = exec(&mut deps, &addr("bot"), &[], liquidate_msg(MOET, None)).unwrap_err();
    assert_eq!(err, ContractError::NoFunds);
}

#[test]
fn zero_amount_coin_is_rejected_as_zero_amount() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &coins(0, MOET),
        liquidate_msg(MOET, None),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ContractError::ZeroAmount {
            denom: MOET.to_string()
        }
    );
}

#[test]
fn funds_of_another_denom_are_rejected() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &coins(200_000_000, "uatom"),
        liquidate_msg(MOET, None),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ContractError::WrongFunds { reason } if reason.contains("uatom") && reason.contains(MOET)),
        "{err:?}"
    );
}

#[test]
fn more_than_one_coin_is_rejected() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &[coin(200_000_000, MOET), coin(1, "uatom")],
        liquidate_msg(MOET, None),
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::WrongFunds { .. }), "{err:?}");
}

#[test]
fn native_funds_cannot_repay_a_cw20_debt() {
    let debt_denom = format!("cw20:{}", addr("moet_token"));
    let mut deps = setup(MarketMock::new(&debt_denom, worked_context()));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &coins(200_000_000, MOET),
        liquidate_msg(&debt_denom, None),
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::WrongFunds { .. }), "{err:?}");
}

fn cw20_receive(sender: &str, amount: u128, debt_denom: &str, min: Option<u128>) -> ExecuteMsg {
    ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: addr(sender).to_string(),
        amount: Uint128::new(amount),
        msg: to_json_binary(&ReceiveMsg::Liquidate {
            position_id: POSITION,
            debt_denom: debt_denom.to_string(),
            collateral_denom: ETH.to_string(),
            min_collateral_out: min.map(Uint128::new),
        })
        .unwrap(),
    })
}

#[test]
fn cw20_repayment_is_forwarded_by_send_to_the_market_and_excess_transferred_back() {
    let token = addr("moet_token");
    let debt_denom = format!("cw20:{token}");
    let mut deps = setup(MarketMock::new(&debt_denom, worked_context()));
    let res = exec(
        &mut deps,
        &token,
        &[],
        cw20_receive("bot", 500_000_000, &debt_denom, None),
    )
    .unwrap();

    let refund: CosmosMsg = WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
            recipient: addr("bot").to_string(),
            amount: Uint128::new(300_000_000),
        })
        .unwrap(),
        funds: vec![],
    }
    .into();
    let send: CosmosMsg = WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Send {
            contract: addr("market").to_string(),
            amount: Uint128::new(200_000_000),
            msg: to_json_binary(&MarketReceiveMsg::Seize {
                position_id: POSITION,
                debt_denom: debt_denom.clone(),
                repay_amount: Uint128::new(200_000_000),
                collateral_denom: ETH.to_string(),
                collateral_amount: Uint128::new(WORKED_SEIZE),
                recipient: addr("bot").to_string(),
            })
            .unwrap(),
        })
        .unwrap(),
        funds: vec![],
    }
    .into();
    assert_eq!(msgs(&res), vec![refund, send]);
    assert_eq!(attr(&res, "liquidator"), addr("bot").as_str());
    assert_eq!(attr(&res, "refund"), "300000000");
}

#[test]
fn cw20_exact_repayment_sends_no_transfer() {
    let token = addr("moet_token");
    let debt_denom = format!("cw20:{token}");
    let mut deps = setup(MarketMock::new(&debt_denom, worked_context()));
    let res = exec(
        &mut deps,
        &token,
        &[],
        cw20_receive("bot", 200_000_000, &debt_denom, Some(WORKED_SEIZE)),
    )
    .unwrap();
    assert_eq!(res.messages.len(), 1);
    assert_eq!(attr(&res, "refund"), "0");
}

#[test]
fn cw20_from_a_token_other_than_the_debt_denom_is_rejected() {
    let debt_denom = format!("cw20:{}", addr("moet_token"));
    let mut deps = setup(MarketMock::new(&debt_denom, worked_context()));
    let err = exec(
        &mut deps,
        &addr("other_token"),
        &[],
        cw20_receive("bot", 200_000_000, &debt_denom, None),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ContractError::WrongFunds { reason } if reason.contains(addr("other_token").as_str())),
        "{err:?}"
    );
}

#[test]
fn cw20_cannot_repay_a_native_debt() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let err = exec(
        &mut deps,
        &addr("moet_token"),
        &[],
        cw20_receive("bot", 200_000_000, MOET, None),
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::WrongFunds { .. }), "{err:?}");
}

#[test]
fn cw20_slippage_guard_applies() {
    let token = addr("moet_token");
    let debt_denom = format!("cw20:{token}");
    let mut deps = setup(MarketMock::new(&debt_denom, worked_context()));
    let err = exec(
        &mut deps,
        &token,
        &[],
        cw20_receive("bot", 200_000_000, &debt_denom, Some(WORKED_SEIZE + 1)),
    )
    .unwrap_err();
    assert!(
        matches!(err, ContractError::SlippageExceeded { .. }),
        "{err:?}"
    );
}

#[test]
fn cw20_hook_that_is_not_a_liquidation_is_rejected() {
    let token = addr("moet_token");
    let debt_denom = format!("cw20:{token}");
    let mut deps = setup(MarketMock::new(&debt_denom, worked_context()));
    let err = exec(
        &mut deps,
        &token,
        &[],
        ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: addr("bot").to_string(),
            amount: Uint128::new(1),
            msg: to_json_binary(&unknown_hook()).unwrap(),
        }),
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::Std(_)), "{err:?}");
}

/// A hook the liquidator does not know.
fn unknown_hook() -> MarketReceiveMsg {
    MarketReceiveMsg::Repay {
        position_id: POSITION,
    }
}

#[test]
fn market_query_failure_fails_the_liquidation() {
    // The mock answers only for `ETH` as collateral.
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &coins(200_000_000, MOET),
        ExecuteMsg::Liquidate {
            position_id: POSITION,
            debt_denom: MOET.to_string(),
            collateral_denom: "uatom".to_string(),
            min_collateral_out: None,
        },
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::Std(_)), "{err:?}");
}

#[test]
fn a_native_coin_in_the_cw20_form_is_refused_among_several() {
    let mut deps = setup(MarketMock::new(MOET, worked_context()));
    let forged = format!("cw20:{}", addr("moet_token"));
    let err = exec(
        &mut deps,
        &addr("bot"),
        &[coin(200_000_000, MOET), coin(1, &forged)],
        liquidate_msg(MOET, None),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ContractError::WrongFunds { reason } if reason.contains("reserved prefix")),
        "{err:?}"
    );
}
