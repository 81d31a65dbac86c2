"""
Emulates gemm_3xtf32_mma.cu's indexing on the CPU (python3 gemm_3xtf32_mma_indexing.py, about a minute): the
cp.async slab loads into the padded shared-memory layouts, the fragments each lane reads for mma.sync m16n8k8 .tf32
(PTX's layout), and where each lane writes C, for all four transpositions, several blocks and k tiles. The mma
itself is a float64 product of the 16 x 8 and 8 x 8 matrices the lanes' fragments make up, so what this checks is
that every element lands where the kernel means it to: C equals op(A) op(B) to float64 rounding, with no element
left unwritten. It cannot check the PTX's own semantics, which only a device can.
"""
import numpy as np
BM=BN=128; BK=32; KS=BK+4; MS=BM+8; SLAB=BM*KS
def run(M,N,K,TA,TB):
    rng=np.random.default_rng(0)
    A=rng.standard_normal((K,M) if TA else (M,K)); B=rng.standard_normal((N,K) if TB else (K,N))
    a=A.ravel(); b=B.ravel(); C=np.full(M*N,np.nan)
    A_K=not TA; B_K=TB
    lda=M if TA else K; ldb=K if TB else N
    for by in range(M//BM):
      for bx in range(N//BN):
        bm=by*BM; bn=bx*BN
        a_base=bm if TA else bm*K; b_base=bn*K if TB else bn
        a_step=BK*M if TA else BK; b_step=BK if TB else BK*N
        acc=np.zeros((8,32,4,4,4))
        for kt in range(K//BK):
            As=np.full(SLAB,np.nan); Bs=np.full(SLAB,np.nan)
            def load(slab,arr,base,ld,kmaj):
                for tid in range(256):
                    for i in range(4):
                        c=tid+i*256
                        if kmaj: row=c>>3; k4=(c&7)*4; slab[row*KS+k4:row*KS+k4+4]=arr[base+row*ld+k4:base+row*ld+k4+4]
                        else: kr=c>>5; x4=(c&31)*4; slab[kr*MS+x4:kr*MS+x4+4]=arr[base+kr*ld+x4:base+kr*ld+x4+4]
            load(As,a,a_base+kt*a_step,lda,A_K); load(Bs,b,b_base+kt*b_step,ldb,B_K)
            at=lambda s,x,k,km: s[x*KS+k] if km else s[k*MS+x]
            for warp in range(8):
                wm=(warp>>2)*64; wn=(warp&3)*32
                for kk in range(0,BK,8):
                    # assemble each mma's A (16x8) and B (8x8) from the lanes' fragments, per PTX's layout
                    for mi in range(4):
                        for ni in range(4):
                            Af=np.full((16,8),np.nan); Bf=np.full((8,8),np.nan)
                            for lane in range(32):
                                g=lane>>2; t=lane&3; r=wm+mi*16+g; col=wn+ni*8+g
                                v=[at(As,r,kk+t,A_K),at(As,r+8,kk+t,A_K),at(As,r,kk+t+4,A_K),at(As,r+8,kk+t+4,A_K)]
                                Af[g,t]=v[0]; Af[g+8,t]=v[1]; Af[g,t+4]=v[2]; Af[g+8,t+4]=v[3]
                                Bf[t,g]=at(Bs,col,kk+t,B_K); Bf[t+4,g]=at(Bs,col,kk+t+4,B_K)
                            D=Af@Bf
                            for lane in range(32):
                                g=lane>>2; t=lane&3
                                acc[warp,lane,mi,ni]+=[D[g,2*t],D[g,2*t+1],D[g+8,2*t],D[g+8,2*t+1]]
        for warp in range(8):
            wm=(warp>>2)*64; wn=(warp&3)*32
            for lane in range(32):
                g=lane>>2; t=lane&3
                for mi in range(4):
                    for ni in range(4):
                        r=bm+wm+mi*16+g; col=bn+wn+ni*8+2*t
                        C[r*N+col:r*N+col+2]=acc[warp,lane,mi,ni][:2]; C[(r+8)*N+col:(r+8)*N+col+2]=acc[warp,lane,mi,ni][2:]
    opA=A.T if TA else A; opB=B.T if TB else B
    ref=(opA@opB).ravel()
    err=np.nanmax(np.abs(C-ref)); unwritten=int(np.isnan(C).sum())
    print("TA=%s TB=%s M=%d N=%d K=%d: max error %.1e, unwritten %d" % (TA,TB,M,N,K,err,unwritten))
    return err < 1e-9 and unwritten == 0
ok = True
for TA,TB in [(False,False),(False,True),(True,False),(True,True)]:
    ok &= run(256,256,64,TA,TB)
raise SystemExit(0 if ok else 1)
